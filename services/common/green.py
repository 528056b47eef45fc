"""psycopg2 in green mode: queries yield to other greenthreads instead of
blocking the whole eventlet hub (the documented psycopg2 wait-callback recipe).
"""
import psycopg2
from eventlet.hubs import trampoline
from psycopg2 import extensions

from services.common.rpc import reply_without_confirms


def eventlet_wait_callback(conn, timeout=-1):
    while True:
        state = conn.poll()
        if state == extensions.POLL_OK:
            return
        if state == extensions.POLL_READ:
            trampoline(conn.fileno(), read=True)
        elif state == extensions.POLL_WRITE:
            trampoline(conn.fileno(), write=True)
        else:
            raise psycopg2.OperationalError(f"bad state from poll: {state}")


def patch_psycopg() -> None:
    extensions.set_wait_callback(eventlet_wait_callback)


def prepare_process() -> None:
    """What every process running containers does once, before any container starts
    (the runner, the test entry, the bench): green psycopg2, and RPC replies without
    publisher confirms (services.common.rpc.ReplyPublisher).  eventlet itself is
    patched by the entry before any other import."""
    patch_psycopg()
    reply_without_confirms()


def assert_green() -> None:
    """Refuse to run a database provider that would block every greenthread."""
    if extensions.get_wait_callback() is not eventlet_wait_callback:
        raise RuntimeError(
            "psycopg2 is not in green mode: call services.common.green.patch_psycopg() "
            "before starting containers (run services through services.common.runner)"
        )
