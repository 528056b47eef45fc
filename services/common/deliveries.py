"""The death count of RPC requests (issue 9, finding 1): a poison request is not
redelivered forever.

A request whose worker ends the service's process (a native crash, an abort, a kill)
is never acknowledged, so RabbitMQ hands it to the restarted service marked
`redelivered`, and it may end that process too, for ever.  For a redelivered request
only (first deliveries pay nothing), the RPC entrypoint asks `DeliveryCount.admit`
before any worker runs: the delivery is counted in the service's own database
(`rpc_delivery`, by the request's correlation id) in a committed transaction, so the
count survives the crash it may be about to cause.  Past RPC_MAX_DELIVERIES (default
3) the request is not run: it is parked (`parked_request`, counted by
kefu_rpc_requests_parked_total) and the caller is answered `RequestParked` (the
gateway's 422).  When its deliveries cannot be counted (the database is down), a
redelivered request is answered `Unavailable` rather than run uncounted.
"""
import hashlib
import logging
from typing import Any

from nameko.extensions import SharedExtension
from prometheus_client import Counter

from services.common import store
from services.common.errors import RequestParked, Unavailable
from services.common.metrics import MetricsServer

log = logging.getLogger(__name__)
DEFAULT_MAX_DELIVERIES = 3
FORGET_AFTER_SECONDS = 86_400
CLIP = 500  # characters of each text kept in a parked request's arguments


class DeliveryCount(SharedExtension):
    metrics = MetricsServer()
    pool: Any = None  # set by the Database provider in setup(); None: nothing is counted

    def setup(self):
        self.limit = int(self.container.config.get("RPC_MAX_DELIVERIES", DEFAULT_MAX_DELIVERIES))
        self.parked = self.metrics.metric(
            Counter, "kefu_rpc_requests_parked_total",
            "RPC requests parked after too many deliveries", ("method",))

    def admit(self, method_name: str, body, message, caller: str | None) -> None:
        """Return when the request may run; raise RequestParked or Unavailable."""
        if not message.delivery_info.get("redelivered"):
            return
        if self.pool is None:
            log.warning("redelivered %s not counted: the service has no database", method_name)
            return
        method = f"{self.container.service_name}.{method_name}"
        request_id = _request_id(message)
        try:
            deliveries = self._count(method, request_id, body, caller)
        except Exception as exc:
            log.warning("could not count the deliveries of %s %s", method, request_id,
                        exc_info=True)
            raise Unavailable("database unavailable") from exc
        if deliveries > self.limit:
            self.parked.labels(method).inc()
            log.error("request %s %s parked after %s deliveries", method, request_id, deliveries)
            raise RequestParked(
                f"this request was delivered {deliveries} times and each of the last "
                f"{self.limit} ended the {self.container.service_name} service: it was set "
                f"aside and will not be run")
        log.warning("request %s %s redelivered (delivery %s of at most %s)", method,
                    request_id, deliveries, self.limit)

    def _count(self, method: str, request_id: str, body, caller: str | None) -> int:
        conn = self.pool.get()
        broken = True
        try:
            with conn.cursor() as cur:
                deliveries = store.count_delivery(cur, request_id, method)
                if deliveries == 2:  # a new row: drop day-old ones
                    store.forget_deliveries(cur, FORGET_AFTER_SECONDS)
                if deliveries > self.limit:
                    store.park_request(cur, method, request_id, caller, _clipped(body),
                                       deliveries)
            conn.commit()
            broken = False
            return deliveries
        finally:
            if broken:
                try:
                    conn.rollback()
                    broken = False
                except Exception:  # noqa: BLE001 — the connection is dropped below
                    pass
            self.pool.put(conn, broken)


def _request_id(message) -> str:
    """The request's correlation id, else a digest of its body (a request without one
    cannot be answered, but must not loop either)."""
    properties = message.properties or {}
    return str(properties.get("correlation_id") or properties.get("message_id") or
               "sha256:" + hashlib.sha256(message.body if isinstance(message.body, bytes)
                                          else str(message.body).encode()).hexdigest())


def _clipped(value):
    """The request's arguments with long texts cut (an upload is not kept whole)."""
    if isinstance(value, str):
        return value if len(value) <= CLIP else f"{value[:CLIP]}… ({len(value)} characters)"
    if isinstance(value, dict):
        return {str(k): _clipped(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clipped(v) for v in value]
    return value
