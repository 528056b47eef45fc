"""No Nagle stall on kept-alive connections (issue 10, item 10).

eventlet's server writes an answer longer than its 16 KiB buffer in two sends (header
lines, then the body); with Nagle's algorithm on, the body's tail waited for the
client's delayed ACK of the header segment: about 40 ms on every large answer on a
kept-alive connection.  The gateway's server puts TCP_NODELAY on every connection it
accepts."""
import http.client
import socket
import statistics
import time

import eventlet
import pytest
from nameko.web.server import STATE_IDLE

from services.gateway import http as gateway_http

# Past eventlet's 16 KiB write buffer and short of one loopback segment (MSS about
# 64 KiB): the body leaves as one small segment behind the header one, which Nagle held.
BIG = 40 << 10


@pytest.fixture
def listener():
    sock = eventlet.listen(("127.0.0.1", 0))
    sock.settimeout(None)
    yield sock
    sock.close()


def _accepted(listener):
    """(client end, server end) of a real TCP connection."""
    client = socket.create_connection(listener.getsockname())
    server, _ = listener.accept()
    return client, server


def _nodelay(sock) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def _big_answer(environ, start_response):
    body = b"x" * BIG
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]


def test_no_delay_sets_tcp_nodelay_on_a_connected_socket(listener):
    client, server = _accepted(listener)
    try:
        assert _nodelay(server) == 0  # Linux's default: Nagle on
        gateway_http.no_delay(server)
        assert _nodelay(server) != 0
    finally:
        client.close()
        server.close()


def test_the_gateway_server_protocol_sets_tcp_nodelay_on_each_connection(listener):
    """The protocol the gateway's WebServer builds its server with, set up on an
    accepted connection (as nameko's accept loop hands it over), turns Nagle off."""
    server = gateway_http.JsonWebServer().get_wsgi_server(listener, _big_answer)
    client, conn = _accepted(listener)
    try:
        protocol = object.__new__(server.protocol)  # setup() alone: no request to read
        protocol.request = conn
        protocol.setup()
        assert _nodelay(conn) != 0
    finally:
        client.close()
        conn.close()


def test_a_large_answer_on_a_kept_alive_connection_does_not_stall(listener):
    """End to end through the gateway's server: 40 KiB answers on one kept-alive
    connection.  With Nagle on, each waited for the client's delayed ACK (≥ 40 ms on
    Linux); now each takes about a millisecond (the bound leaves room for a busy box)."""
    server = gateway_http.JsonWebServer().get_wsgi_server(listener, _big_answer)

    def accept_loop():  # as nameko's WebServer.run does
        while True:
            sock, address = listener.accept()
            sock.settimeout(server.socket_timeout)
            eventlet.spawn(server.process_request, [address, sock, STATE_IDLE])

    loop = eventlet.spawn(accept_loop)
    conn = http.client.HTTPConnection(*listener.getsockname(), timeout=10)
    try:
        times = []
        for _ in range(9):
            started = time.perf_counter()
            conn.request("GET", "/api/v1/openapi.json")
            reply = conn.getresponse()
            assert len(reply.read()) == BIG
            assert reply.getheader("Connection") != "close"
            times.append((time.perf_counter() - started) * 1000)
        assert statistics.median(times[1:]) < 25, times
    finally:
        conn.close()
        loop.kill()
