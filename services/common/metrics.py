"""Prometheus metrics: one registry per container, served on its own port.

`MetricsServer` is shared by every extension of a container (the registry and
the `/metrics` listener); `Metrics` is the dependency that times every worker
and counts its errors by entrypoint, and lets the service add business
counters.  A registry per container keeps two containers in one process apart.
"""
import time
from functools import cached_property
from typing import Any

import eventlet
from eventlet import wsgi
from nameko.extensions import DependencyProvider, SharedExtension
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app

from services.common.errors import EXPECTED
from services.common.logs import set_call_ids

LATENCY_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class _QuietLog:
    def write(self, *_args):
        pass


class MetricsServer(SharedExtension):
    """The container's registry and its `/metrics` HTTP listener (METRICS_ADDRESS)."""

    # Built on first use, not in setup(): nameko sets extensions up in no fixed
    # order, and the relay and handlers register their metrics in their setup().
    @cached_property
    def registry(self) -> CollectorRegistry:
        return CollectorRegistry(auto_describe=True)

    @cached_property
    def latency(self) -> Histogram:
        return Histogram(
            "kefu_entrypoint_latency_seconds", "Time a worker took, by entrypoint",
            ("entrypoint", "kind"), buckets=LATENCY_BUCKETS, registry=self.registry)

    @cached_property
    def errors(self) -> Counter:
        return Counter(
            "kefu_entrypoint_errors_total", "Workers that ended in an error",
            ("entrypoint", "kind", "error", "expected"), registry=self.registry)

    @cached_property
    def _custom(self) -> dict:
        return {}

    _gt: Any = None
    _sock: Any = None

    def metric(self, cls, name, documentation, labels=(), **kwargs):
        """Get or create a metric of this container (idempotent by name)."""
        if name not in self._custom:
            self._custom[name] = cls(name, documentation, labels, registry=self.registry, **kwargs)
        return self._custom[name]

    def start(self):
        address = self.container.config.get("METRICS_ADDRESS")
        if not address or self._gt:
            return
        host, port = address.rsplit(":", 1)
        self._sock = eventlet.listen((host, int(port)))
        app = make_wsgi_app(self.registry)
        self._gt = self.container.spawn_managed_thread(
            lambda: wsgi.server(self._sock, app, log=_QuietLog(), log_output=False))

    def stop(self):
        if self._gt:
            self._gt.kill()
            self._sock.close()
            self._gt = None

    kill = stop


class Metrics(DependencyProvider):
    """Times every worker; injects the MetricsServer for business metrics."""

    server = MetricsServer()

    def setup(self):
        self._started: dict = {}

    def get_dependency(self, worker_ctx):
        return self.server

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()
        set_call_ids(worker_ctx.call_id_stack)

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        entrypoint = worker_ctx.entrypoint
        labels = (entrypoint.method_name, type(entrypoint).__name__)
        if started is not None:
            self.server.latency.labels(*labels).observe(time.perf_counter() - started)
        if exc_info is not None:
            expected = isinstance(exc_info[1], EXPECTED)
            self.server.errors.labels(*labels, type(exc_info[1]).__name__, str(expected)).inc()

    def worker_teardown(self, worker_ctx):
        self._started.pop(worker_ctx, None)
        set_call_ids(None)


__all__ = ["Metrics", "MetricsServer", "Counter", "Gauge", "Histogram"]
