"""The HTTP side: a threading server (standard library, loopback only), request
parsing with a body cap, JSON answers, and routing to the domain modules."""
import ipaddress
import json
import logging
import re
import socket
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from simulators import phones

log = logging.getLogger("simulators")
MAX_BODY = 1024 * 1024


class HttpError(Exception):
    """Answer `status` with the JSON `body` (raised anywhere below a route)."""

    def __init__(self, status: int, body: dict):
        super().__init__(status, body)
        self.status, self.body = status, body


def bad_request(message: str) -> HttpError:
    return HttpError(400, {"error": "bad_request", "message": message})


@dataclass
class Request:
    method: str
    path: str
    query: dict
    headers: dict          # lower-cased names
    body: bytes
    params: dict = field(default_factory=dict)   # named groups of the route's pattern

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise bad_request(f"body is not JSON: {e}") from None

    def json_object(self) -> dict:
        data = self.json()
        if not isinstance(data, dict):
            raise bad_request("body must be a JSON object")
        return data


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"


def json_answer(data, status: int = 200) -> Answer:
    return Answer(status, json.dumps(data, ensure_ascii=False).encode())


def digits(text: str, most: int = 18) -> bool:
    """Whether `text` is 1..`most` ASCII digits: str.isdigit() alone is true of "²" and
    "٣" (int() refuses the first) and of numbers too long for int() or a clock."""
    return 0 < len(text) <= most and text.isascii() and text.isdigit()


def split_address(address: str) -> tuple[str, int]:
    """`127.0.0.1:8900` (or `http://127.0.0.1:8900/`) -> ("127.0.0.1", 8900)."""
    if "//" in address:
        address = urlsplit(address).netloc
    host, sep, port = address.rstrip("/").rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"not host:port: {address!r}")
    return host.strip("[]"), int(port)


def require_loopback(host: str) -> None:
    """Refuse anything that is not (or does not resolve only to) a loopback address."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError as e:
        raise ValueError(f"cannot resolve {host!r}: {e}") from None
    if not host or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback
                           for a in addresses):
        raise ValueError(f"the simulator binds loopback only, not {host!r}")


Route = tuple[str, "re.Pattern", object]


def route(method: str, pattern: str, handler) -> Route:
    return method, re.compile(pattern), handler


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, sim, routes: list[Route]):
        self.sim, self.routes = sim, routes
        super().__init__(address, Handler)


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"
    timeout = 30
    server_version = "kefu-simulators"

    def do_GET(self):  # noqa: N802  (http.server's names)
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def _dispatch(self) -> None:
        try:
            answer = self._answer()
        except (TimeoutError, ConnectionError) as e:   # a client that stalled or left
            log.warning("%s %s: %s", self.command, self.path, e)
            self.close_connection = True
            return
        except HttpError as e:
            answer = json_answer(e.body, e.status)
        except Exception:
            log.exception("simulator error on %s %s", self.command, self.path)
            answer = json_answer({"error": "internal", "message": "simulator error"}, 500)
        self._send(answer)

    def _answer(self) -> Answer:
        url = urlsplit(self.path)
        body = self._read_body()
        query: dict = {}
        for k, v in parse_qsl(url.query, keep_blank_values=True):
            query.setdefault(k, v)
        headers = {k.lower(): v for k, v in self.headers.items()}
        allowed = False
        for method, pattern, handler in self.server.routes:
            m = pattern.fullmatch(url.path)
            if not m:
                continue
            allowed = True
            if method == self.command:
                request = Request(self.command, url.path, query, headers, body, m.groupdict())
                return handler(self.server.sim, request)
        if allowed:
            raise HttpError(405, {"error": "method_not_allowed"})
        raise HttpError(404, {"error": "not_found", "path": url.path})

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        if length is None:
            return b""
        if not digits(length.strip()):
            self.close_connection = True
            raise bad_request("bad Content-Length")
        if int(length) > MAX_BODY:
            self.close_connection = True
            self._drain(int(length))
            raise HttpError(413, {"error": "too_large", "max_bytes": MAX_BODY})
        return self.rfile.read(int(length))

    def _drain(self, length: int) -> None:
        """Read a refused body (up to 16 MB) so the client gets to read the answer."""
        left = min(length, 16 * MAX_BODY)
        while left > 0:
            chunk = self.rfile.read(min(left, 65536))
            if not chunk:
                return
            left -= len(chunk)

    def _read_chunked(self) -> bytes:
        body = b""
        while True:
            line = self.rfile.readline(1024).split(b";")[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                size = -1
            if size < 0:         # "-1" parses: rfile.read(-1) would read to the end
                self.close_connection = True
                raise bad_request("bad chunk")
            if len(body) + size > MAX_BODY:
                self.close_connection = True
                raise HttpError(413, {"error": "too_large", "max_bytes": MAX_BODY})
            if size == 0:
                while self.rfile.readline(1024).strip():
                    pass
                return body
            body += self.rfile.read(size)
            self.rfile.readline(8)

    def _send(self, answer: Answer) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)

    def log_message(self, format, *args):  # noqa: A002  (http.server's signature)
        log.info("%s " + format, self.address_string(), *args)

    def log_error(self, format, *args):  # noqa: A002
        log.warning("%s " + format, self.address_string(), *args)


class MaskPhones(logging.Filter):
    """No full phone number in a log line: `138****8000`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = phones.mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = phones.mask(logging.Formatter().formatException(record.exc_info))
        return True


log.addFilter(MaskPhones())
