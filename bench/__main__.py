"""`make bench`: P2 (RPC overhead) and a first P1 (screen pop) at small scale.

Everything runs on this one machine, load generator included.  Figures go to
bench/RESULTS.md.  BENCH_SECONDS / BENCH_WARMUP shorten a run for a smoke test.
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402

import datetime  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import urllib3  # noqa: E402
from kombu import Connection, Consumer, Producer, Queue  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from bench.echo_server import RAW_QUEUE  # noqa: E402
from bench.load import open_loop  # noqa: E402
from tests.system import BASE, Client, start_system, stop_system  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", 60))
WARMUP = float(os.environ.get("BENCH_WARMUP", 10))
SEED = 20261122
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


class RawRpc:
    """A kombu request/reply client: one connection publishes (with confirms), one consumes."""

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
        eventlet.spawn_n(self._drain)

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


def bench_rpc_overhead(uri: str) -> dict:
    server = subprocess.Popen([sys.executable, "-m", "bench.echo_server", uri])
    try:
        eventlet.sleep(3)
        payload = {"n": 1, "text": "你好"}
        with ClusterRpcProxy({"AMQP_URI": uri, "serializer": "json"}) as cluster:
            for _ in range(200):
                cluster.bench_echo.echo(payload)
            nameko_figures = open_loop(lambda: cluster.bench_echo.echo(payload), 200, SECONDS,
                                       WARMUP)
        raw = RawRpc(uri)
        for _ in range(200):
            raw.call(payload)
        raw_figures = open_loop(lambda: raw.call(payload), 200, SECONDS, WARMUP)
    finally:
        server.terminate()
        server.wait()
    return {"nameko": nameko_figures, "kombu": raw_figures,
            "ratio": nameko_figures["p50"] / raw_figures["p50"]}


def bench_screen_pop(admin: Client, customers: int = 2000, rate: float = 200) -> dict:
    rng = random.Random(SEED)
    phones = []
    for i in range(customers):
        phone = "13" + "".join(rng.choices("0123456789", k=9))
        reply = admin.post("/api/v1/customers", {"name": f"压测客户{i}", "phones": [phone]})
        if reply.status_code == 201:
            phones.append(phone)
    http = urllib3.PoolManager(maxsize=200, headers={
        "Authorization": admin.http.headers["Authorization"]})

    def pop():
        phone = rng.choice(phones)
        reply = http.request("GET", f"{BASE}/api/v1/screen-pop?phone={phone}")
        if reply.status != 200:
            raise RuntimeError(reply.status)

    figures = open_loop(pop, rate, SECONDS, WARMUP)
    figures["customers"] = len(phones)
    return figures


def row(name: str, f: dict) -> str:
    return (f"| {name} | {f['rate']:.0f}/s | {f['requests']} | {f['errors']} | {f['p50']:.2f} |"
            f" {f['p95']:.2f} | {f['p99']:.2f} | {f['max']:.2f} |")


def write_results(p2: dict, p1: dict) -> None:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    header = "| what | rate | requests | errors | p50 ms | p95 ms | p99 ms | max ms |\n" \
             "|---|---|---|---|---|---|---|---|"
    RESULTS.write_text(f"""# Benchmark results

Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC.
Machine: {os.cpu_count()} cores, {memory:.0f} GiB; everything (RabbitMQ, PostgreSQL, the six
services and the load generator) on this one machine.
Command: `make bench` (open loop: fixed arrival rate, latency from the scheduled start;
{WARMUP:.0f} s warm-up, {SECONDS:.0f} s measured).

## P2 — RPC overhead (target: nameko p50 ≤ 2× raw kombu, same run)

Echo of a small JSON body; nameko through a long-lived `ClusterRpcProxy`; kombu
request/reply with publisher confirms on the reply, the same broker.

{header}
{row("nameko RPC round trip", p2["nameko"])}
{row("raw kombu request/reply", p2["kombu"])}

**Ratio of p50s (nameko / kombu): {p2["ratio"]:.2f}** (target ≤ 2).

## P1 — screen pop through the gateway, small scale (target p50 ≤ 5 ms, p99 ≤ 20 ms at 200/s)

`GET /api/v1/screen-pop?phone=…` over {p1["customers"]} customers: gateway → customer
`lookup` → (one match) ticket `list_for_customer`, token verified in each service.

{header}
{row("screen pop", p1)}

The 1,000,000-customer figure comes with the customer-archive issue (its data generator).
""", encoding="utf-8")


def main() -> None:
    uri = os.environ["KEFU_AMQP_URI"]
    p2 = bench_rpc_overhead(uri)
    print("P2", p2, flush=True)
    password = start_system()
    try:
        p1 = bench_screen_pop(Client("admin", password))
        print("P1", p1, flush=True)
    finally:
        stop_system()
    write_results(p2, p1)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
