"""Entrypoints of the customer service: destruction 销毁 (C6), mixed into CustomerService."""
from services.common.errors import NotFound
from services.common.metrics import Counter
from services.common.rpc import AuthenticatedRpc
from services.customer.contract import destruction as schemas
from services.customer.contract import events as contract
from services.customer.domain import destruction as rules
from services.customer.domain.records import DESTROYED_NAME, parse_id
from services.customer.store import access as access_store
from services.customer.store import destruction as store
from services.customer.store import records as records_store

rpc = AuthenticatedRpc.decorator  # transitional: roles move to the contract index (issue 8)


class DestructionEntrypoints:
    """RPC entrypoints for destruction; uses the service's db, principal and metrics."""

    @rpc(allow=rules.REQUESTERS)
    def request_destruction(self, customer_id, data):
        """Ask for a customer to be destroyed; returns DestructionRequest (pending).

        NotFound when there is no such customer for the caller; Conflict when a
        request for it is already pending; Invalid without a reason."""
        fields = schemas.DestructionRequestIn().load(data)
        cid = parse_id(customer_id)
        with self.db.transaction() as tx:
            customer = store.customer_for_destruction(tx.cur, cid)
            pending = customer is not None and store.has_pending(tx.cur, cid)
            rules.check_requestable(self.principal, customer, pending)
            request_id = store.insert_request(tx.cur, cid, self.principal, fields["reason"])
            access_store.log_access(tx.cur, self.principal, cid, "destroy_request",
                                    customer["effective_level"],
                                    detail={"request_id": request_id})
            shown = self._request(tx.cur, request_id)
        return schemas.DestructionRequest().dump(shown)

    @rpc(allow=rules.READERS)
    def destruction_requests(self, status=None, limit=50):
        """Requests newest first: {"requests": [...]}; approvers and auditors see all
        within their clearance, others only their own."""
        query = schemas.DestructionQuery().load({"status": status, "limit": limit})
        principal = self.principal
        see_all = rules.may_see_all(principal)
        with self.db.transaction() as tx:
            rows = store.requests(tx.cur, query["status"], None if see_all else principal.id,
                                  None if principal.is_system else principal.clearance,
                                  query["limit"])
            approvals = store.approvals_of(tx.cur, [r["id"] for r in rows])
        shown = [rules.present(r, approvals[r["id"]]) for r in rows]
        return schemas.DestructionRequestList().dump({"requests": shown})

    @rpc(allow=rules.READERS)
    def destruction_request(self, request_id):
        """One request with its decisions; NotFound when the caller may not see it."""
        rid = _request_id(request_id)
        with self.db.transaction() as tx:
            row = store.request(tx.cur, rid)
            rules.check_visible(self.principal, row)
            shown = rules.present(row, store.approvals_of(tx.cur, [rid])[rid])
        return schemas.DestructionRequest().dump(shown)

    @rpc(allow=rules.APPROVERS)
    def approve_destruction(self, request_id, data=None):
        """Approve at your step; the third approval erases the personal data, keeps a
        tombstone and publishes customer_destroyed.  Returns DestructionRequest.

        Conflict when out of order or no longer pending; Forbidden for the
        requester or someone who approved an earlier step; NotFound above your
        clearance."""
        fields = schemas.ApprovalIn().load(data or {})
        return self._decide(request_id, rules.APPROVE, fields["comment"])

    @rpc(allow=rules.APPROVERS)
    def reject_destruction(self, request_id, data):
        """Reject at your step (a comment is required); the request ends.  Same
        refusals as approve_destruction."""
        fields = schemas.RejectionIn().load(data or {})
        return self._decide(request_id, rules.REJECT, fields["comment"])

    def _decide(self, request_id, decision: str, comment: str) -> dict:
        rid = _request_id(request_id)
        principal = self.principal
        with self.db.transaction() as tx:
            row = store.request(tx.cur, rid)
            if row is None:
                raise rules.no_such_request()
            # Customer first, then request: the same lock order as request_destruction.
            store.customer_for_destruction(tx.cur, row["customer_id"])
            row = store.request(tx.cur, rid, lock=True)
            rules.check_visible(principal, row)
            approvals = store.approvals_of(tx.cur, [rid])[rid]
            step = rules.check_decision(principal, row, approvals)
            store.insert_decision(tx.cur, rid, step.number, step.role, decision, principal,
                                  comment)
            status, erase_now = rules.outcome(step, decision)
            if status != rules.PENDING:
                store.close_request(tx.cur, rid, status)
            detail = {"request_id": rid, "step": step.number, "role": step.role}
            access_store.log_access(tx.cur, principal, row["customer_id"],
                                    f"destroy_{decision}", row["effective_level"], detail=detail)
            destroyed = self._erase(tx, row, detail) if erase_now else 0
            shown = self._request(tx.cur, rid)
        self.metrics.metric(Counter, "kefu_destruction_decisions_total",
                            "Destruction decisions by step and decision",
                            ("step", "decision")).labels(str(step.number), decision).inc()
        if destroyed:
            self.metrics.metric(Counter, "kefu_customers_destroyed_total",
                                "Customer records erased to tombstones").inc(destroyed)
        return schemas.DestructionRequest().dump(shown)

    def _erase(self, tx, row: dict, detail: dict) -> int:
        """Erase the person (and every record merged into it), in this transaction;
        returns how many records became tombstones."""
        principal = self.principal
        tombstones = store.merged_into_chain(tx.cur, row["customer_id"])
        ids = [t["id"] for t in tombstones]
        counts = store.erase(tx.cur, ids, DESTROYED_NAME)
        for tombstone in tombstones:
            records_store.record_history(tx.cur, tombstone["id"], principal, "destroy",
                                         [("destroyed", None, True)])
            access_store.log_access(tx.cur, principal, tombstone["id"], "destroy",
                                    row["effective_level"], detail={**detail, "erased": counts})
            tx.emit("customer_destroyed", contract.CustomerDestroyed().dump(
                {"customer_id": tombstone["id"], "number": tombstone["number"]}))
        return len(ids)

    @staticmethod
    def _request(cur, request_id: str) -> dict:
        row = store.request(cur, request_id)
        return rules.present(row, store.approvals_of(cur, [request_id])[request_id])


def _request_id(value) -> str:
    try:
        return parse_id(value)
    except NotFound as exc:  # parse_id names a customer; here it is a request
        raise rules.no_such_request() from exc

