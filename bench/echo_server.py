"""Two responders in one process for P2: a nameko `@rpc echo` and a raw kombu
request/reply responder publishing its replies with confirms.

    python -m bench.echo_server AMQP_URI
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402

import sys  # noqa: E402

from kombu import Connection, Consumer, Exchange, Producer, Queue  # noqa: E402
from nameko.rpc import rpc  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402

RAW_QUEUE = "bench-raw-rpc"


class BenchEcho:
    name = "bench_echo"

    @rpc
    def echo(self, payload):
        return payload


def raw_responder(uri: str) -> None:
    """Consume requests; reply to `reply_to` with the same body, confirmed."""
    with Connection(uri) as consume_conn, Connection(
            uri, transport_options={"confirm_publish": True}) as publish_conn:
        producer = Producer(publish_conn.channel(), exchange=Exchange(""), serializer="json")
        queue = Queue(RAW_QUEUE, durable=False, auto_delete=True)

        def on_request(body, message):
            producer.publish(body, routing_key=message.properties["reply_to"],
                             correlation_id=message.properties["correlation_id"])
            message.ack()

        with Consumer(consume_conn.channel(), [queue], callbacks=[on_request], prefetch_count=10):
            while True:
                consume_conn.drain_events()


def main(uri: str) -> None:
    runner = ServiceRunner({"AMQP_URI": uri, "serializer": "json", "max_workers": 20})
    runner.add_service(BenchEcho)
    runner.start()
    eventlet.spawn(raw_responder, uri)
    runner.wait()


if __name__ == "__main__":
    main(sys.argv[1])
