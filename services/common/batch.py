"""Group commit for an event handler whose transactions all touch a few hot rows (the
report's rollups and feed position): the events its workers hold at one moment are
applied in one transaction, so the hot rows are locked, written and committed once per
group rather than once per event.

    batches = GroupCommit()               # on the service class

    @on_event("ticket", "ticket_created")
    def handle(self, event):
        lag = self.batches.submit(self.db, item, apply_many)

`apply_many(tx, items) -> [result per item]` applies several items in one transaction.
Each worker hands in its item and waits; the first worker that finds no group running
leads: it takes up to `most` waiting items at a time, in order, and applies them in one
transaction of its own session until its own item is done; then the next waiting worker
leads (so no worker's message is held while others keep coming).  Each worker gets its
own item's result (or exception); a leader killed meanwhile leaves no worker waiting
(they are told Unavailable, and are retried as alone).  Each item's event claim (its
worker's, db.Session) is recorded in that transaction, in key order: an event
processed before is left out of the group and its worker told (DuplicateEvent:
acknowledged, as alone).  When the group's
transaction fails, each of its items is applied again alone, in its own transaction,
so a bad event fails only its own worker (retried, then parked, as alone).
"""
import logging
from collections.abc import Callable
from typing import Any

from eventlet.event import Event
from nameko.extensions import DependencyProvider

from services.common import store
from services.common.db import DuplicateEvent
from services.common.errors import Unavailable

log = logging.getLogger(__name__)
MOST = 50  # items applied in one transaction


class _Waiting:
    """One worker's item: `done` holds its result (or exception); `turn` wakes the
    worker — its result is there, or it is to lead the next groups."""
    __slots__ = ("item", "claim", "done", "turn")

    def __init__(self, item: Any, claim: tuple[str, str] | None):
        self.item, self.claim, self.done, self.turn = item, claim, Event(), Event()

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        if error is not None:
            self.done.send_exception(error)
        else:
            self.done.send(result)
        if not self.turn.ready():  # (a worker woken to lead has its turn already)
            self.turn.send()


class Groups:
    """The items waiting for one apply function, and whether a leader is applying them."""

    def __init__(self, most: int):
        self.most = most
        self.waiting: dict[Callable, list[_Waiting]] = {}
        self.leading: set[Callable] = set()

    def submit(self, session, item: Any, apply_many: Callable[[Any, list], list]) -> Any:
        """Apply `item` with others waiting (see the module); its result, or its
        exception raised."""
        mine = _Waiting(item, session.take_claim())
        self.waiting.setdefault(apply_many, []).append(mine)
        if apply_many not in self.leading:
            self.leading.add(apply_many)
            self._lead(session, apply_many, mine)
        else:
            mine.turn.wait()  # its result, or its turn to lead
            if not mine.done.ready():
                self._lead(session, apply_many, mine)
        return mine.done.wait()

    def _lead(self, session, apply_many: Callable, mine: _Waiting) -> None:
        """Groups applied until this worker's own item is done; then the next waiting
        worker leads (a leader's message is not held while others keep coming)."""
        queue = self.waiting[apply_many]
        group: list[_Waiting] = []
        try:
            while not mine.done.ready():
                group = queue[:self.most]
                del queue[:self.most]
                self._apply_group(session, apply_many, group)
                group = []
        except BaseException:  # the leader stopped (killed): nobody waits forever
            for one in group + queue:
                if not one.done.ready():
                    one.finish(error=Unavailable("the group's leader stopped"))
            queue.clear()
            raise
        finally:
            if queue:
                queue[0].turn.send()  # it leads next
            else:
                self.leading.discard(apply_many)

    def _apply_group(self, session, apply_many: Callable, group: list[_Waiting]) -> None:
        try:
            outcomes = self._apply(session, apply_many, group)
        except Exception as exc:  # noqa: BLE001 — each alone: a bad one fails only itself
            if len(group) == 1:
                group[0].finish(error=exc)
                return
            log.warning("a group of %d failed; each applied alone", len(group),
                        exc_info=True)
            outcomes = []
            for one in group:
                try:
                    outcomes += self._apply(session, apply_many, [one])
                except Exception as alone:  # noqa: BLE001 — its worker raises it
                    outcomes.append((one, None, alone))
        for one, result, error in outcomes:  # after the commit: nothing here can fail it
            one.finish(result, error)

    @staticmethod
    def _apply(session, apply_many: Callable, group: list[_Waiting]) -> list[tuple]:
        """The group in one transaction: [(item, result, error)] once committed (an
        event processed before: DuplicateEvent, acknowledged as alone)."""
        with session.transaction() as tx:
            # claims in key order: two replicas' groups never wait on each other's
            fresh = {id(one) for one in sorted(group, key=lambda o: o.claim or ("", ""))
                     if one.claim is None or store.claim_event(tx.cur, *one.claim)}
            applied = [one for one in group if id(one) in fresh]
            results = apply_many(tx, [one.item for one in applied]) if applied else []
        found = {id(one): result for one, result in zip(applied, results, strict=True)}
        return [(one, found[id(one)], None) if id(one) in found
                else (one, None, DuplicateEvent(one.claim)) for one in group]


class GroupCommit(DependencyProvider):
    """A service's groups (one per container), `most` items per transaction."""

    def __init__(self, most: int = MOST, **kwargs):
        self.most = most
        super().__init__(**kwargs)

    def setup(self):
        self.groups = Groups(self.most)

    def get_dependency(self, worker_ctx):
        return self.groups
