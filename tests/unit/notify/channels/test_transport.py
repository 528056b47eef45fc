"""HTTP failures become outcomes: nothing sent (connection refused) is a plain retry, a
request that may have arrived (no answer in time, an answer too big to read) is a retry
that may have been taken."""
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.notify.channels.base import Outgoing
from services.notify.channels.sms_aliyun import AliyunSms
from services.notify.channels.sms_tencent import TencentSms
from services.notify.channels.transport import Transport, TransportFailure
from services.notify.channels.webhooks import OutgoingWebhook


@pytest.fixture
def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def silent_port():
    """Accepts connections (the kernel's backlog) and never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    yield s.getsockname()[1]
    s.close()


@pytest.fixture
def big_answer_port():
    class Big(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b'{"Code": "OK", "pad": "' + b"x" * 5000 + b'"}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Big)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def trickle_port():
    """Answers at once, then the body a byte every 0.1 s (40 bytes, or `?n=` of them;
    `/chunked` in chunks of one byte): every read gets a byte well within a 0.5 s socket
    timeout, the whole answer takes 4 s."""
    class Trickle(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path, _, n = self.path.partition("?n=")
            chunked, count = path == "/chunked", int(n or 40)
            self.send_response(200)
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(count))
            self.end_headers()
            try:
                for _ in range(count):
                    self.wfile.write(b"1\r\nx\r\n" if chunked else b"x")
                    self.wfile.flush()
                    time.sleep(0.1)
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")
            except OSError:      # the client gave up
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_connection_refused_was_not_taken(closed_port):
    with pytest.raises(TransportFailure) as e:
        Transport(timeout=2).post(f"http://127.0.0.1:{closed_port}/", data=b"x")
    assert (e.value.code, e.value.maybe_taken) == ("transport.connect", False)


def test_no_answer_in_time_may_have_been_taken(silent_port):
    with pytest.raises(TransportFailure) as e:
        Transport(timeout=0.3).post(f"http://127.0.0.1:{silent_port}/", data=b"x")
    assert (e.value.code, e.value.maybe_taken) == ("transport.timeout", True)


def test_answer_over_the_cap_is_not_read(big_answer_port):
    url = f"http://127.0.0.1:{big_answer_port}/"
    assert len(Transport(timeout=2).post(url, data=b"x").body) > 5000
    with pytest.raises(TransportFailure) as e:
        Transport(timeout=2, max_answer=1000).post(url, data=b"x")
    assert (e.value.code, e.value.maybe_taken) == ("transport.too_big", True)


@pytest.mark.parametrize("path", ["/", "/chunked"])
def test_an_answer_trickling_past_the_timeout_is_given_up(trickle_port, path):
    started = time.monotonic()
    with pytest.raises(TransportFailure) as e:
        Transport(timeout=0.5).post(f"http://127.0.0.1:{trickle_port}{path}", data=b"x")
    assert (e.value.code, e.value.maybe_taken) == ("transport.timeout", True)
    assert time.monotonic() - started < 2


def test_a_trickle_that_ends_in_time_is_read(trickle_port):
    for path in ("/?n=3", "/chunked?n=3"):
        reply = Transport(timeout=5).post(f"http://127.0.0.1:{trickle_port}{path}", data=b"x")
        assert (reply.status, reply.body) == (200, b"xxx")


SMS = [Outgoing("m1", "+8613800138000", "t", template_code="SMS_1", sign_name="客服"),
       Outgoing("m2", "+8613900139000", "t", template_code="SMS_1", sign_name="客服")]


@pytest.mark.parametrize("make", [
    lambda url: AliyunSms(url, "id", "secret", "cb", timeout=0.3),
    lambda url: TencentSms(url, "id", "secret", "1400000000", "cb", timeout=0.3)])
def test_sms_batch_unreachable_is_retry_for_every_message(make, closed_port, silent_port):
    refused = make(f"http://127.0.0.1:{closed_port}").send(SMS, "a1")
    assert [(r.message_id, r.outcome, r.maybe_taken) for r in refused] == [
        ("m1", "retry", False), ("m2", "retry", False)]
    silent = make(f"http://127.0.0.1:{silent_port}").send(SMS, "a1")
    assert [(r.outcome, r.maybe_taken, r.code) for r in silent] == [
        ("retry", True, "transport.timeout")] * 2


def test_webhook_timeout_is_retry(silent_port):
    [r] = OutgoingWebhook("s", timeout=0.3).send(
        [Outgoing("m1", f"http://127.0.0.1:{silent_port}/hook", "", event="e")], "a")
    assert (r.outcome, r.maybe_taken) == ("retry", True)
