"""P2 — RPC overhead: a nameko round trip against a raw kombu request/reply with
publisher confirms, same broker, same run, same open-loop rate.

The echo responders run in a child process (bench/echo_server.py).  A standalone
`ClusterRpcProxy` is not safe to share between greenthreads (two of them would
drain one connection: the 4 errors in 12,000 of the first round), so the nameko
side takes a proxy from a pool, one per request in flight.
"""
import os
import subprocess
import sys
import uuid

import eventlet
from eventlet.queue import Empty, LightQueue
from kombu import Connection, Consumer, Producer, Queue
from nameko.standalone.rpc import ClusterRpcProxy

from bench import harness
from bench.echo_server import RAW_QUEUE
from bench.load import open_loop

RATE = 200
PAYLOAD = {"n": 1, "text": "你好"}


class ProxyPool:
    """One standalone ClusterRpcProxy per concurrent caller: a greenthread takes one,
    calls, and gives it back; the pool grows when all are busy."""

    def __init__(self, uri: str, size: int):
        self.config = {"AMQP_URI": uri, "serializer": "json"}
        self.free: LightQueue = LightQueue()
        self.runners: list[ClusterRpcProxy] = []
        for _ in range(size):
            self.free.put(self._new())

    def _new(self):
        runner = ClusterRpcProxy(self.config)
        self.runners.append(runner)
        return runner.start()

    def call(self, payload):
        try:
            proxy = self.free.get_nowait()
        except Empty:
            proxy = self._new()
        try:
            return proxy.bench_echo.echo(payload)
        finally:
            self.free.put(proxy)

    def close(self) -> None:
        for runner in self.runners:
            runner.stop()

    @property
    def size(self) -> int:
        return len(self.runners)


class RawRpc:
    """A kombu request/reply client: one connection publishes (with confirms), one
    consumes replies in a single greenthread that hands them to the waiting callers."""

    def __init__(self, uri: str):
        self.publish_conn = Connection(uri, transport_options={"confirm_publish": True})
        self.consume_conn = Connection(uri)
        self.reply_queue = Queue(f"bench-reply-{uuid.uuid4().hex}", exclusive=True,
                                 auto_delete=True)
        self.waiting: dict[str, eventlet.event.Event] = {}
        self.lock = eventlet.semaphore.Semaphore()
        self.producer = Producer(self.publish_conn.channel(), serializer="json")
        self.consumer = Consumer(self.consume_conn.channel(), [self.reply_queue],
                                 callbacks=[self._on_reply], no_ack=True)
        self.consumer.consume()
        self.drainer = eventlet.spawn(self._drain)

    def _drain(self):
        while True:
            self.consume_conn.drain_events()

    def _on_reply(self, body, message):
        event = self.waiting.pop(message.properties["correlation_id"], None)
        if event:
            event.send(body)

    def call(self, payload):
        correlation_id = uuid.uuid4().hex
        event = eventlet.event.Event()
        self.waiting[correlation_id] = event
        with self.lock:  # one channel: publishes must not interleave
            self.producer.publish(payload, routing_key=RAW_QUEUE, reply_to=self.reply_queue.name,
                                  correlation_id=correlation_id)
        return event.wait()

    def close(self) -> None:
        self.drainer.kill()
        self.publish_conn.release()
        self.consume_conn.release()


def _checked(result):
    if result != PAYLOAD:
        raise RuntimeError(f"wrong echo: {result!r}")


def measure(uri: str) -> dict:
    server = subprocess.Popen([sys.executable, "-m", "bench.echo_server", uri])
    try:
        eventlet.sleep(3)
        pool = ProxyPool(uri, size=8)
        try:
            for _ in range(200):
                _checked(pool.call(PAYLOAD))
            nameko = open_loop(lambda: _checked(pool.call(PAYLOAD)), RATE, harness.SECONDS,
                               harness.WARMUP)
            nameko["proxies"] = pool.size
        finally:
            pool.close()
        raw = RawRpc(uri)
        try:
            for _ in range(200):
                _checked(raw.call(PAYLOAD))
            kombu = open_loop(lambda: _checked(raw.call(PAYLOAD)), RATE, harness.SECONDS,
                              harness.WARMUP)
        finally:
            raw.close()
    finally:
        server.terminate()
        server.wait()
    return {"nameko": nameko, "kombu": kombu, "ratio": nameko["p50"] / kombu["p50"]}


def run() -> str:
    figures = measure(os.environ["KEFU_AMQP_URI"])
    nameko, kombu = figures["nameko"], figures["kombu"]
    errors = ""
    for name, f in (("nameko", nameko), ("kombu", kombu)):
        if f["error_kinds"]:
            errors += f"\n- {name} errors: {f['error_kinds']}"
    verdict = "meets" if figures["ratio"] <= 2 and not nameko["errors"] else "misses"
    return f"""## P2 — RPC overhead (target: nameko p50 ≤ 2× raw kombu, same run; 0 errors)

Echo of a small JSON body at {RATE}/s.  nameko: standalone `ClusterRpcProxy`s from a pool,
one per request in flight ({nameko['proxies']} proxies were enough; a single shared proxy
gave 4 errors in 12,000 in the first round); kombu: request/reply with publisher confirms,
the same broker (vhost `kefu_test`).  {harness.method()}

{harness.HEADER}
{harness.row("nameko RPC round trip", nameko)}
{harness.row("raw kombu request/reply", kombu)}

**Ratio of p50s (nameko / kombu): {figures["ratio"]:.2f}** (target ≤ 2): {verdict} the target.
Load generator (same process for both clients): {nameko['generator_cpu']:.2f} cores during
the nameko step, {kombu['generator_cpu']:.2f} during the kombu step; at most
{nameko['max_in_flight']} (nameko) and {kombu['max_in_flight']} (kombu) requests in
flight.{errors}
"""
