"""Entrypoints of the ticket service: queues (T5) — "my tickets", "my group's
unassigned", everything (supervisors), with filters, keyset paging and counts."""
from services.common.rpc import AuthenticatedRpc
from services.ticket.contract import workflow as wf
from services.ticket.domain import workflow as domain
from services.ticket.store import queues as store
from services.vocabulary import STAFF

rpc = AuthenticatedRpc.decorator  # transitional: roles move to the contract index (issue 8)

QUEUE_QUERY = wf.QueueQuery()
QUEUE_PAGE = wf.QueuePage()
QUEUE_COUNTS = wf.QueueCounts()


class QueuesEntrypoints:
    @rpc(allow=STAFF)
    def list_tickets(self, query=None):
        """A page of a queue, newest accepted first: {tickets, next_cursor}.

        query: QueueQuery (view mine | group_unassigned | all, filters, cursor, limit ≤
        100).  Invalid names the bad parameter; Forbidden when your role may not use
        the view; NotFound for a group that is not yours."""
        query = QUEUE_QUERY.load(query or {})
        scope = domain.queue_scope(self.principal, query)
        after = domain.decode_cursor(query.get("cursor"))
        text = (query.get("text") or "").strip()
        serial = text.upper() if text and domain.looks_like_serial(text) else None
        pattern = f"%{domain.like_escape(text)}%" if text and not serial else None
        limit = query["limit"]
        with self.db.transaction() as tx:
            rows = store.list_tickets(tx.cur, scope, query, after, limit + 1, serial, pattern)
        more = len(rows) > limit
        rows = rows[:limit]
        cursor = domain.encode_cursor(rows[-1]["accepted_at"], rows[-1]["id"]) if more else None
        return QUEUE_PAGE.dump({"tickets": rows, "next_cursor": cursor})

    @rpc(allow=STAFF)
    def queue_counts(self):
        """My open tickets by status, and each of my groups' unassigned tickets by
        status, from the counters the ticket table's trigger keeps (no table scan)."""
        groups = sorted(self.principal.groups)
        with self.db.transaction() as tx:
            rows = store.counts(tx.cur, self.principal.id, groups)
        return QUEUE_COUNTS.dump(domain.counts_view(rows, self.principal.id, groups))
