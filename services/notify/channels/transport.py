"""HTTP for the adapters: one requests.Session each, explicit timeouts, capped answers.

    transport = Transport(session, timeout)
    reply = transport.post(url, data=..., headers=...)   # Reply(status, body) or raises
    reply.json()                                         # None when not JSON

A failure to get an answer raises TransportFailure with a short code and whether the
request may have reached the other side (`maybe_taken`): a connection refused or a
connect timeout did not; a read timeout, a cut connection or an answer too big to read may
have.

`timeout` bounds each wait for the other side (connecting, each read) and also the reading
of the answer's body as a whole: a server trickling a byte every few seconds would pass
every read's timeout and hold the worker for as long as it likes, so the body is read a
socket read at a time and given up ("transport.timeout") once the call has taken longer
than `timeout`.
"""
import json
import time
from dataclasses import dataclass
from typing import Any

import requests
from requests import exceptions as rex
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import (
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

MAX_ANSWER = 1 << 20       # bytes of an answer read at most (1 MiB)
READ_SIZE = 65536          # bytes asked of one socket read of the body


class TransportFailure(Exception):
    """No usable answer.  `code`: transport.connect / transport.timeout /
    transport.connection / transport.too_big / transport.error."""

    def __init__(self, code: str, detail: str, maybe_taken: bool):
        super().__init__(f"{code}: {detail}")
        self.code, self.detail, self.maybe_taken = code, detail, maybe_taken


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None


def new_session() -> requests.Session:
    """A session of our own: environment proxies and .netrc are not consulted (providers
    are reached directly; a proxy would be configured explicitly)."""
    session = requests.Session()
    session.trust_env = False
    return session


class Transport:
    def __init__(self, session: requests.Session | None = None, timeout: float = 5.0,
                 max_answer: int = MAX_ANSWER):
        self.session = session if session is not None else new_session()
        self.timeout = timeout
        self.max_answer = max_answer

    def post(self, url: str, *, data: bytes | dict | None = None,
             headers: dict[str, str] | None = None) -> Reply:
        """POST and read the answer (at most max_answer bytes, within `timeout` seconds
        from the start of the call); redirects not followed."""
        start = time.monotonic()
        try:
            with self.session.post(url, data=data, headers=headers, timeout=self.timeout,
                                   stream=True, allow_redirects=False) as response:
                return Reply(response.status_code, self._read(response, start))
        except rex.ConnectTimeout as e:
            raise TransportFailure("transport.connect", "connect timeout", False) from e
        except rex.ReadTimeout as e:
            raise TransportFailure("transport.timeout", "no answer in time", True) from e
        except rex.ConnectionError as e:
            if _never_connected(e):
                raise TransportFailure("transport.connect", "cannot connect", False) from e
            raise TransportFailure("transport.connection", "connection lost", True) from e
        except TransportFailure:
            raise
        except (rex.RequestException, OSError) as e:
            raise TransportFailure("transport.error", type(e).__name__, True) from e

    def _read(self, response: requests.Response, start: float) -> bytes:
        """The body, decoded, one socket read at a time (`read1`: whatever has arrived, at
        most READ_SIZE bytes) so that the whole-call deadline is checked between reads;
        iter_content's reads wait for a full chunk, a trickle would never reach a check."""
        chunks: list[bytes] = []
        size = 0
        while True:
            if time.monotonic() - start > self.timeout:
                raise TransportFailure("transport.timeout",
                                       f"answer not read in {self.timeout} s", True)
            try:
                chunk = response.raw.read1(READ_SIZE, decode_content=True)
            except ReadTimeoutError as e:
                raise TransportFailure("transport.timeout", "no answer in time", True) from e
            except ProtocolError as e:
                raise TransportFailure("transport.connection", "connection lost", True) from e
            except Urllib3Error as e:
                raise TransportFailure("transport.error", type(e).__name__, True) from e
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > self.max_answer:
                raise TransportFailure("transport.too_big",
                                       f"answer over {self.max_answer} bytes", True)
            chunks.append(chunk)


def _never_connected(error: Exception) -> bool:
    """Whether a ConnectionError happened before any byte of the request went out."""
    cause: BaseException | None = error
    seen = 0
    while cause is not None and seen < 10:
        if isinstance(cause, NewConnectionError | NameResolutionError | ConnectionRefusedError):
            return True
        reason = getattr(cause, "reason", None)
        cause = reason if isinstance(reason, BaseException) else (
            cause.args[0] if cause.args and isinstance(cause.args[0], BaseException)
            else cause.__cause__ or cause.__context__)
        seen += 1
    return False
