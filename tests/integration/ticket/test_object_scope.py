"""Object scope of every ticket entrypoint (issue 9, finding 8) on the real ticket
service: each caller reaches only the tickets of their data scope 数据范围 — agents their
own (accepted or assigned) and their groups' tickets, supervisors their groups', managers
and above all, field staff the tickets assigned to them — and for acting on a ticket the
workflow's narrower rule.  Out of scope is NotFound and changes nothing."""
import datetime
import os
import uuid

import psycopg2
import psycopg2.extras
import pytest
from psycopg2 import sql

from services.common.errors import NotFound

UTC = datetime.UTC


def db():
    conn = psycopg2.connect(os.environ["KEFU_TICKET_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    return conn


def state(ticket_id: str) -> dict:
    """What a write would change: the ticket's editable fields, handler, trail, jobs."""
    with db() as conn, conn.cursor() as cur:
        cur.execute("SELECT status, assignee_id, group_name, urgency, fee::text, paid, contact,"
                    " subject FROM ticket WHERE id = %s", (ticket_id,))
        row = dict(cur.fetchone())
        for table in ("ticket_trail", "dispatch", "reminder", "kb_ticket_link", "contact_log"):
            cur.execute(sql.SQL("SELECT count(*) AS n FROM {} WHERE ticket_id = %s").format(
                sql.Identifier(table)), (ticket_id,))
            row[table] = cur.fetchone()["n"]
    conn.close()
    return row


def later(minutes: int) -> str:
    return (datetime.datetime.now(UTC) + datetime.timedelta(minutes=minutes)).isoformat()


class Desk:
    """Two groups (g, h) each with an agent and a supervisor, a second agent of g, a
    manager, a field staff member; a customer and an after-sales ticket accepted by
    agent `a` into group g, with a contact and a form; a published knowledge article
    linked to it; a contact logged on it.  Everyone is known to the ticket service."""

    def __init__(self, rpc):
        tag = uuid.uuid4().hex[:8]
        self.tag = tag
        self.g, self.h = f"g-{tag}", f"h-{tag}"
        self.ids = {k: f"{k}-{tag}" for k in ("a", "b", "c", "s", "t", "m", "f")}
        self.a = rpc("ticket", staff_id=self.ids["a"], groups=[self.g])
        self.b = rpc("ticket", staff_id=self.ids["b"], groups=[self.g])
        self.c = rpc("ticket", staff_id=self.ids["c"], groups=[self.h])
        self.s = rpc("ticket", roles=("supervisor",), staff_id=self.ids["s"], groups=[self.g])
        self.t = rpc("ticket", roles=("supervisor",), staff_id=self.ids["t"], groups=[self.h])
        self.m = rpc("ticket", roles=("manager",), staff_id=self.ids["m"], clearance=3)
        self.f = rpc("ticket", roles=("field",), staff_id=self.ids["f"], groups=[self.h])
        for proxy in (self.a, self.b, self.c, self.s, self.t, self.m, self.f):
            proxy.set_duty({"on_duty": False})  # known to the staff read model
        self.customer = rpc("customer").create_customer({"name": f"吴{tag}"})
        self.word = f"漏水{tag}"
        self.ticket = self.a.create_ticket({
            "customer_id": self.customer["id"], "kind": "after_sales",
            "content": f"洗衣机{self.word}", "subject": "洗衣机漏水", "group_name": self.g,
            "contact": {"name": "王先生", "phone": "13800138000", "relation": "丈夫"}})
        self.article = rpc("ticket", roles=("supervisor",)).kb_create_article(
            {"title": f"洗衣机漏水处理{tag}", "status": "published"})
        self.a.kb_link(self.ticket["id"], self.article["id"])
        self.contact = self.a.log_contact({"channel": "phone", "direction": "in",
                                           "ticket_id": self.ticket["id"], "note": "客户来电"})

    @property
    def out_of_scope(self):
        """Callers who may use the operations but not on this ticket."""
        return {"agent of another group": self.c, "supervisor of another group": self.t,
                "field staff it is not assigned to": self.f}


@pytest.fixture
def desk(start, rpc):
    start("customer")
    start("ticket")
    return Desk(rpc)


def reads(desk, tid):
    """Every entrypoint that reads one ticket (or what hangs off it) by its id."""
    return {
        "get_ticket": lambda who: who.get_ticket(tid),
        "dispatches_of_ticket": lambda who: who.dispatches_of_ticket(tid),
        "contacts_for_ticket": lambda who: who.contacts_for_ticket(tid),
        "kb_ticket_articles": lambda who: who.kb_ticket_articles(tid),
        "remind": lambda who: who.remind(tid, {"in_days": 1, "note": "回访"}),
    }


def writes(desk, tid):
    """Every entrypoint that acts on one ticket, with a change it would make."""
    field = desk.ids["f"]
    return {
        "update_ticket": ("operators", lambda who: who.update_ticket(
            tid, {"fee": "999", "paid": True, "urgency": "urgent",
                  "contact": {"phone": "13900000000"}})),
        "transition_ticket": ("staff", lambda who: who.transition_ticket(
            tid, {"to": "cancelled", "note": "不是我的"})),
        "transfer_ticket": ("staff", lambda who: who.transfer_ticket(
            tid, {"group": desk.h})),
        "accept_ticket": ("staff", lambda who: who.accept_ticket(tid)),
        "dispatch_ticket": ("operators", lambda who: who.dispatch_ticket(
            tid, {"staff_id": field, "address": "别处", "window_start": later(60),
                  "window_end": later(120)})),
        "log_contact": ("operators", lambda who: who.log_contact(
            {"channel": "phone", "direction": "in", "ticket_id": tid})),
        "kb_link": ("operators", lambda who: who.kb_link(tid, desk.article["id"])),
        "kb_unlink": ("operators", lambda who: who.kb_unlink(tid, desk.article["id"])),
    }


class TestSingleTicket:
    def test_finding8_every_read_by_id_is_not_found_out_of_scope(self, desk):
        """Issue 9 finding 8: get_ticket, dispatches_of_ticket, contacts_for_ticket,
        kb_ticket_articles and remind answer NotFound to an agent or supervisor of another
        group and to field staff the ticket is not assigned to; the acceptor, a member
        of its group, its group's supervisor and a manager reach it."""
        tid = desk.ticket["id"]
        for name, read in reads(desk, tid).items():
            for who, proxy in desk.out_of_scope.items():
                with pytest.raises(NotFound):
                    read(proxy)
                    pytest.fail(f"{who} reached {name}")
            for proxy in (desk.a, desk.b, desk.s, desk.m):
                read(proxy)

    def test_finding8_every_write_is_not_found_out_of_scope_and_changes_nothing(self, desk):
        """Issue 9 finding 8: update_ticket (fee, paid, urgency, contact), the workflow
        steps, dispatch_ticket, log_contact on the ticket and kb_link/unlink answer
        NotFound to those out of scope, and nothing changes."""
        tid = desk.ticket["id"]
        before = state(tid)
        for name, (allowed, write) in writes(desk, tid).items():
            callers = desk.out_of_scope.items()
            if allowed == "operators":  # field staff may not call these at all
                callers = [(w, p) for w, p in callers if p is not desk.f]
            for who, proxy in callers:
                with pytest.raises(NotFound):
                    write(proxy)
                    pytest.fail(f"{who} reached {name}")
        assert state(tid) == before

    def test_finding8_update_by_a_member_of_the_group_still_works(self, desk):
        """The rule narrows, it does not shut: the group's other agent updates the fee of
        its unassigned ticket, the supervisor of the group changes the urgency."""
        tid = desk.ticket["id"]
        assert desk.b.update_ticket(tid, {"fee": "50"})["ticket"]["fee"] == "50.00"
        assert desk.s.update_ticket(tid, {"urgency": "high"})["ticket"]["urgency"] == "high"

    def test_finding8_once_assigned_only_the_assignee_and_supervisors_act(self, desk):
        """Issue 9 finding 8: an assigned ticket is acted on by its assignee, the
        supervisors of its group and managers; other agents of the group still see it."""
        tid = desk.ticket["id"]
        desk.s.transfer_ticket(tid, {"staff_id": desk.ids["a"]})
        with pytest.raises(NotFound):
            desk.b.update_ticket(tid, {"fee": "1"})
        assert desk.b.get_ticket(tid)["ticket"]["id"] == tid
        assert desk.a.update_ticket(tid, {"fee": "2"})["ticket"]["fee"] == "2.00"
        assert desk.m.update_ticket(tid, {"fee": "3"})["ticket"]["fee"] == "3.00"

    def test_finding8_field_staff_reach_the_ticket_once_it_is_dispatched_to_them(self, desk):
        tid = desk.ticket["id"]
        desk.s.dispatch_ticket(tid, {"staff_id": desk.ids["f"], "address": "杭州市西湖区",
                                     "window_start": later(60), "window_end": later(120)})
        assert desk.f.get_ticket(tid)["ticket"]["id"] == tid
        assert [d["staff_id"] for d in desk.f.dispatches_of_ticket(tid)["dispatches"]] == [
            desk.ids["f"]]


    def test_finding8_a_ticket_of_no_group_is_its_acceptors_groups(self, desk, rpc):
        """Issue 9 finding 8: a ticket accepted into no group is its acceptor's and
        their groups' (their supervisor oversees it, a colleague may take it), no longer
        every agent's."""
        loose = desk.a.create_ticket({"customer_id": desk.customer["id"],
                                      "kind": "consultation", "content": "保修多久"})
        for proxy in (desk.b, desk.s, desk.m):
            assert proxy.get_ticket(loose["id"])["ticket"]["id"] == loose["id"]
        for who, proxy in desk.out_of_scope.items():
            with pytest.raises(NotFound):
                proxy.get_ticket(loose["id"])
                pytest.fail(f"{who} reached it")
        with pytest.raises(NotFound):
            rpc("ticket", staff_id=f"x-{desk.tag}").accept_ticket(loose["id"])
        assert desk.b.accept_ticket(loose["id"])["ticket"]["assignee_id"] == desk.ids["b"]


class TestLists:
    def test_finding8_lists_hold_only_tickets_in_scope(self, desk):
        """Issue 9 finding 8: list_for_customer, customer_overview, contacts_for_customer,
        list_tickets (view=all with customer_id or text) and kb_article_tickets leave out
        the tickets (and their contacts) the caller may not see — filtered in SQL, so
        a page is never short because of it."""
        tid, cid = desk.ticket["id"], desk.customer["id"]

        def listed(who) -> dict:
            overview = who.customer_overview(cid)
            return {
                "list_for_customer": [t["id"] for t in who.list_for_customer(cid)["tickets"]],
                "overview": [t["id"] for t in overview["recent_tickets"]],
                "overview contacts": [c["id"] for c in overview["contacts"]],
                "contacts_for_customer": [
                    c["id"] for c in who.contacts_for_customer(cid)["contacts"]],
                "kb_article_tickets": [
                    t["id"] for t in who.kb_article_tickets(desk.article["id"])["tickets"]],
            }

        mine = {"list_for_customer": [tid], "overview": [tid],
                "overview contacts": [desk.contact["id"]],
                "contacts_for_customer": [desk.contact["id"]], "kb_article_tickets": [tid]}
        nothing = {k: [] for k in mine}
        for proxy in (desk.a, desk.b, desk.s, desk.m):
            assert listed(proxy) == mine
        for who, proxy in desk.out_of_scope.items():
            assert listed(proxy) == nothing, who
        for who, proxy in {"agent": desk.c, "supervisor": desk.t}.items():
            for query in ({"customer_id": cid}, {"text": desk.word},
                          {"text": desk.ticket["serial"]}):
                found = proxy.list_tickets({"view": "all", **query})["tickets"]
                assert found == [], (who, query)
        for query in ({"customer_id": cid}, {"text": desk.word}):
            assert [t["id"] for t in desk.b.list_tickets({"view": "all", **query})[
                "tickets"]] == [tid]

    def test_finding8_supervisors_oversee_their_own_groups_only(self, desk, rpc):
        """Issue 9 finding 8: a supervisor's queues, due view and dispatch lists are
        their groups'; naming another group is NotFound; managers see every group."""
        tid = desk.ticket["id"]
        desk.s.dispatch_ticket(tid, {"staff_id": desk.ids["f"], "address": "杭州市西湖区",
                                     "window_start": later(60), "window_end": later(120)})
        with pytest.raises(NotFound):
            desk.t.list_tickets({"view": "group_unassigned", "group": desk.g})
        with pytest.raises(NotFound):
            desk.t.due_tickets({"group": desk.g})
        assert tid not in [t["id"] for t in desk.t.due_tickets({"limit": 100})["tickets"]]
        assert tid in [t["id"] for t in desk.m.due_tickets({"group": desk.g})["tickets"]]
        assert desk.t.dispatches("open", desk.ids["f"])["dispatches"] == []
        assert [d["ticket_id"] for d in desk.s.dispatches("open", desk.ids["f"])[
            "dispatches"]] == [tid]
        assert [d["ticket_id"] for d in desk.m.dispatches("open", desk.ids["f"])[
            "dispatches"]] == [tid]
