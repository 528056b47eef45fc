"""The gateway: HTTP for user interfaces, staff accounts and sign-in (G1, G2, G3)."""
from eventlet import tpool
from nameko.dependency_providers import Config

from services.common import store as common_store
from services.common.db import Database
from services.common.errors import Conflict, NotFound, TooManyRequests, Unauthenticated
from services.common.identity import Identity, Tokens
from services.common.metrics import Metrics
from services.common.rpc import call, gather, proxy
from services.gateway import contract, domain, openapi, store
from services.gateway.http import api, json_response, load_body, load_query
from services.gateway.routes.contacts import ContactsRoutes
from services.gateway.routes.customers import CustomerRoutes
from services.gateway.routes.destruction import DestructionRoutes
from services.gateway.routes.dispatch import DispatchRoutes
from services.gateway.routes.imports import ImportsRoutes
from services.gateway.routes.knowledge import KnowledgeRoutes
from services.gateway.routes.search import SearchRoutes
from services.gateway.routes.sla import SlaRoutes
from services.gateway.routes.tickets import TicketRoutes
from services.gateway.routes.workflow import WorkflowRoutes
from services.vocabulary import ADMINS, STAFF, SUPERVISORS_UP, StaffChanged


class GatewayService(CustomerRoutes, ImportsRoutes, SearchRoutes, DestructionRoutes,
                     TicketRoutes, WorkflowRoutes, SlaRoutes, DispatchRoutes, ContactsRoutes,
                     KnowledgeRoutes):
    name = contract.SERVICE

    db = Database()
    principal = Identity()
    metrics = Metrics()
    tokens = Tokens()
    config = Config()
    customer = proxy("customer")
    ticket = proxy("ticket")
    survey = proxy("survey")
    notify = proxy("notify")
    report = proxy("report")

    @property
    def deadline(self) -> float:
        return float(self.config.get("RPC_TIMEOUT_SECONDS", 5))

    @api("POST", "/api/v1/auth/login", "Sign in; returns a bearer token", public=True,
         body=contract.LoginRequest, response=contract.Token)
    def login(self, request):
        creds = load_body(request, contract.LoginRequest())
        username = creds["username"].strip().lower()
        with self.db.transaction() as tx:
            if store.locked_until(tx.cur, username):
                raise TooManyRequests("too many failed sign-ins; try again later")
            row = store.staff_by_username(tx.cur, username)
        # argon2 runs in an OS thread so it does not stall every other request.
        matches = tpool.execute(domain.password_matches,
                                row["password_hash"] if row else domain.DUMMY_HASH,
                                creds["password"])
        ok = bool(matches and row and row["active"])
        with self.db.transaction() as tx:
            if ok:
                store.clear_failures(tx.cur, username)
            else:
                period = domain.lock_for(store.record_failure(tx.cur, username))
                if period:
                    store.lock(tx.cur, username, period)
        if not ok:
            raise Unauthenticated("wrong username or password")
        token = self.tokens.issue(row["id"], row["username"], row["roles"], row["groups"],
                                  row["clearance"])
        return contract.Token().dump({"token": token, "token_type": "Bearer",
                                      "expires_in": self.tokens.ttl, "staff": row})

    @api("GET", "/api/v1/me", "The signed-in staff member", allow=STAFF, response=contract.Staff)
    def me(self, request):
        with self.db.transaction() as tx:
            row = store.staff_by_id(tx.cur, self.principal.id)
        if row is None or not row["active"]:
            raise Unauthenticated("account no longer active")
        return contract.Staff().dump(row)

    @api("POST", "/api/v1/staff", "Create a staff account (admin)", allow=ADMINS, status=201,
         body=contract.StaffCreate, response=contract.Staff)
    def create_staff(self, request):
        data = load_body(request, contract.StaffCreate())
        password_hash = tpool.execute(domain.hash_password, data.pop("password"))
        with self.db.transaction() as tx:
            domain.check_groups(data["groups"], store.group_names(tx.cur))
            row = store.insert_staff(tx.cur, data, password_hash)
            if row is None:
                raise Conflict("username already taken", {"username": ["already taken"]})
            tx.emit("staff_created", StaffChanged().dump({**row, "staff_id": row["id"]}))
        return contract.Staff().dump(row)

    @api("PATCH", "/api/v1/staff/<staff_id>", "Change a staff account (admin)", allow=ADMINS,
         body=contract.StaffUpdate, response=contract.Staff)
    def update_staff(self, request, staff_id):
        changes = load_body(request, contract.StaffUpdate())
        if not domain.is_uuid(staff_id):
            raise NotFound("no such staff member")
        with self.db.transaction() as tx:
            if "groups" in changes:
                domain.check_groups(changes["groups"], store.group_names(tx.cur))
            row = store.update_staff(tx.cur, staff_id, changes)
            if row is None:
                raise NotFound("no such staff member")
            tx.emit("staff_updated", StaffChanged().dump({**row, "staff_id": row["id"]}))
        return contract.Staff().dump(row)

    @api("GET", "/api/v1/staff", "Staff accounts, by username (supervisors up, admins)",
         allow=SUPERVISORS_UP | ADMINS, query=contract.StaffQuery)
    def list_staff(self, request):
        query = load_query(request, contract.StaffQuery())
        with self.db.transaction() as tx:
            rows = store.list_staff(tx.cur, query.get("group"), query.get("role"),
                                    query.get("after"), query["limit"])
        return {"staff": contract.Staff(many=True).dump(rows)}

    @api("POST", "/api/v1/groups", "Create a group of staff (admin)", allow=ADMINS, status=201,
         body=contract.GroupCreate, response=contract.Group)
    def create_group(self, request):
        data = load_body(request, contract.GroupCreate())
        with self.db.transaction() as tx:
            row = store.insert_group(tx.cur, data["name"], data["display_name"])
        if row is None:
            raise Conflict("group already exists", {"name": ["already exists"]})
        return contract.Group().dump(row)

    @api("GET", "/api/v1/groups", "All groups", allow=STAFF)
    def list_groups(self, request):
        with self.db.transaction() as tx:
            return {"groups": contract.Group(many=True).dump(store.list_groups(tx.cur))}

    @api("GET", "/api/v1/inbox", "My notices, newest first", allow=STAFF)
    def inbox(self, request):
        return call(self.notify.inbox, timeout=self.deadline)

    @api("GET", "/api/v1/reports/tickets/daily", "Tickets per day and kind", allow=STAFF,
         query=contract.DailyReportQuery)
    def tickets_daily(self, request):
        query = load_query(request, contract.DailyReportQuery())
        return call(self.report.tickets_daily, query["from_day"].isoformat(),
                    query["to_day"].isoformat(), timeout=self.deadline)

    @api("GET", "/api/v1/openapi.json", "This document", public=True)
    def openapi_document(self, request):
        return openapi.build()

    @api("GET", "/healthz", "200 when the broker and every service answer", public=True)
    def healthz(self, request):
        services = ("customer", "ticket", "survey", "notify", "report")
        checks = {}
        try:
            with self.db.transaction() as tx:
                checks["gateway"] = common_store.ping(tx.cur)
            results = gather([(getattr(self, s).health, (), {}) for s in services],
                             timeout=min(self.deadline, 3))
            checks.update({s: bool(r.get("ok")) for s, r in zip(services, results, strict=True)})
        except Exception as exc:  # noqa: BLE001 — any failure means "not healthy"
            return json_response(503, {"status": "unavailable", "checks": checks,
                                       "message": str(exc) or type(exc).__name__})
        return {"status": "ok", "checks": checks}


SERVICE = GatewayService
