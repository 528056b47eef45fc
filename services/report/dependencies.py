"""The report service's own dependency: calling the owners as the report's system
identity from a worker that serves a person (the check an admin asks for calls the
ticket service's `report_ticket_counts`, which answers the report's identity only).

    with self.as_system():
        self.tickets.report_ticket_counts(...)

Inside the block the worker's outgoing calls carry the report's system token (minted
by the container's Callers with the service's own key); the caller's token is put back
after.  The worker's own principal (already verified) does not change.
"""
from contextlib import contextmanager
from functools import partial

from nameko.extensions import DependencyProvider

from services.common.identity import CONTEXT_KEY, Callers

_NONE = object()


@contextmanager
def _as_system(callers: Callers, worker_ctx):
    saved = worker_ctx.data.get(CONTEXT_KEY, _NONE)
    worker_ctx.data[CONTEXT_KEY] = callers.system_token()
    try:
        yield
    finally:
        if saved is _NONE:
            worker_ctx.data.pop(CONTEXT_KEY, None)
        else:
            worker_ctx.data[CONTEXT_KEY] = saved


class SystemIdentity(DependencyProvider):
    """Injects `as_system()`: a block whose outgoing calls are the report's own."""

    callers = Callers()

    def get_dependency(self, worker_ctx):
        return partial(_as_system, self.callers, worker_ctx)
