"""S1 authorization matrix over HTTP: every customer record and borrowing route of the
gateway (services/gateway/service.py) × role × object, against the running system.

Staff are created by the admin through POST /api/v1/staff (groups through
POST /api/v1/groups) and sign in.  All members of the matrix belong to group g1:

    role              clearance          role              clearance
    agent             1                  admin             1
    supervisor        1                  auditor           2
    manager           2                  general_manager   2
    gm_top (a general manager cleared for top secret, without a borrowing grant)  3

Objects (customers; built once per module):

    own           level 0, owned by g1 (the caller's group)
    other         level 0, owned by g2
    secret        level 1, g1 — classified, within everyone's clearance
    conf          level 2, g1 — above the clearance of agent, supervisor, admin
    top           level 3, g1 — above everyone's clearance but gm_top's
    declassified  the same kind of record as `top` (level 3, g1), declassified to 1 a
                  couple of seconds after it was classified; read after that instant
                  (the effective level is computed at read time)
    unknown       an id no customer has

The spec the table is written from: the card for all staff; the archive per
domain.access.archive_decision (ordinary for everyone; classified for managers and
above within their clearance; top secret also needs a grant); changes per
domain.records.check_writable (out of scope or above the clearance: 404; a
classified record changed by a non-manager: 403); function permission by role: 403
(checked first, so also for unknown ids); unknown ids: 404.

Cells: "A" 200 with the archive, "C" 200 with the card and "archive": null,
"M" 200 with one match (a card, archive null), "N" 200 with no match, or a status.
Every answer that carries a customer is also checked: its archive is shown exactly
when GET would show it.
"""
import datetime
import time
import uuid

import pytest

from services.gateway.service import GatewayService
from tests.helpers import random_mobile
from tests.system import BASE, Client

ROLES = ("agent", "supervisor", "manager", "general_manager", "admin", "auditor", "gm_top")
MEMBERS = {  # name -> (role, clearance)
    "agent": ("agent", 1), "supervisor": ("supervisor", 1), "manager": ("manager", 2),
    "general_manager": ("general_manager", 2), "admin": ("admin", 1),
    "auditor": ("auditor", 2), "gm_top": ("general_manager", 3),
}
OBJECTS = ("own", "other", "secret", "conf", "top", "declassified", "unknown")
LEVEL_NOW = {"own": 0, "other": 0, "secret": 1, "conf": 2, "top": 3, "declassified": 1,
             "unknown": 0}
F = (403,) * 7  # function permission refused, whatever the object

# ------------------------------------------------------------------ the expected table
# Routes about one customer: role -> cells for OBJECTS.
PER_CUSTOMER = {
    "get_customer": {
        "agent":           ("A", "A", "C", "C", "C", "C", 404),
        "supervisor":      ("A", "A", "C", "C", "C", "C", 404),
        "manager":         ("A", "A", "A", "A", "C", "A", 404),
        "general_manager": ("A", "A", "A", "A", "C", "A", 404),
        "admin":           ("A", "A", "C", "C", "C", "C", 404),
        "auditor":         ("A", "A", "C", "C", "C", "C", 404),
        "gm_top":          ("A", "A", "A", "A", "C", "A", 404),  # top secret: no grant
    },
    "screen_pop": {  # a single match comes with the 360° view (same rules as GET)
        "agent":           ("A", "A", "C", "C", "C", "C", "N"),
        "supervisor":      ("A", "A", "C", "C", "C", "C", "N"),
        "manager":         ("A", "A", "A", "A", "C", "A", "N"),
        "general_manager": ("A", "A", "A", "A", "C", "A", "N"),
        "admin":           ("A", "A", "C", "C", "C", "C", "N"),
        "auditor":         ("A", "A", "C", "C", "C", "C", "N"),
        "gm_top":          ("A", "A", "A", "A", "C", "A", "N"),
    },
    "lookup": {role: ("M",) * 6 + ("N",) for role in ROLES},  # cards only
    "update_customer": {
        "agent":           (200, 404, 403, 404, 404, 403, 404),
        "supervisor":      (200, 404, 403, 404, 404, 403, 404),
        "manager":         (200, 200, 200, 200, 404, 200, 404),
        "general_manager": (200, 200, 200, 200, 404, 200, 404),
        "admin":           (200, 200, 403, 404, 404, 403, 404),
        "auditor":         F,
        # top: cleared and in scope, but a change needs the archive, and top secret
        # opens only with a borrowing grant
        "gm_top":          (200, 200, 200, 200, 403, 200, 404),
    },
    "add_asset": {
        "agent":           (201, 404, 403, 404, 404, 403, 404),
        "supervisor":      (201, 404, 403, 404, 404, 403, 404),
        "manager":         (201, 201, 201, 201, 404, 201, 404),
        "general_manager": (201, 201, 201, 201, 404, 201, 404),
        "admin":           (201, 201, 403, 404, 404, 403, 404),
        "auditor":         F,
        "gm_top":          (201, 201, 201, 201, 201, 201, 404),
    },
    "classify": {  # to the level the record has now (changes nothing)
        "agent":           F,
        "supervisor":      F,
        "manager":         (200, 200, 200, 200, 404, 200, 404),
        "general_manager": (200, 200, 200, 200, 404, 200, 404),
        "admin":           F,
        "auditor":         F,
        "gm_top":          (200, 200, 200, 200, 200, 200, 404),
    },
    "unmask_phones": {  # supervisors and above, within their clearance
        "agent":           (403, 403, 403, 403, 403, 403, 404),
        "supervisor":      (200, 200, 200, 403, 403, 200, 404),
        "manager":         (200, 200, 200, 200, 403, 200, 404),
        "general_manager": (200, 200, 200, 200, 403, 200, 404),
        "admin":           (403, 403, 403, 403, 403, 403, 404),
        "auditor":         (403, 403, 403, 403, 403, 403, 404),
        "gm_top":          (200, 200, 200, 200, 200, 200, 404),
    },
    "customer_history": {
        "agent":           F,
        "supervisor":      (200, 200, 200, 200, 200, 200, 404),
        "manager":         (200, 200, 200, 200, 200, 200, 404),
        "general_manager": (200, 200, 200, 200, 200, 200, 404),
        "admin":           F,
        "auditor":         (200, 200, 200, 200, 200, 200, 404),
        "gm_top":          (200, 200, 200, 200, 200, 200, 404),
    },
    "mark_reviewed": {  # a change of the record: scoped like the others
        "agent":           F,
        "supervisor":      (200, 404, 403, 404, 404, 403, 404),
        "manager":         (200, 200, 200, 200, 404, 200, 404),
        "general_manager": (200, 200, 200, 200, 404, 200, 404),
        "admin":           F,
        "auditor":         F,
        "gm_top":          (200, 200, 200, 200, 200, 200, 404),
    },
    "access_log": {
        "agent":           F,
        "supervisor":      F,
        "manager":         (200, 200, 200, 200, 200, 200, 404),
        "general_manager": (200, 200, 200, 200, 200, 200, 404),
        "admin":           F,
        "auditor":         (200, 200, 200, 200, 200, 200, 404),
        "gm_top":          (200, 200, 200, 200, 200, 200, 404),
    },
    # The ticket service answers for any id: it keeps no customers (an empty list).
    "customer_tickets": {role: (200,) * 7 for role in ROLES},
    "request_access": {  # only top secret takes a request; above the clearance: 404
        "agent":           F,
        "supervisor":      F,
        "manager":         (400, 400, 400, 400, 404, 400, 404),
        "general_manager": (400, 400, 400, 400, 404, 400, 404),
        "admin":           F,
        "auditor":         F,
        "gm_top":          (400, 400, 400, 400, 201, 400, 404),
    },
}
# Routes about no customer in particular: role -> status.
GENERAL = {
    "create_customer": {r: 201 for r in ROLES} | {"auditor": 403},
    "review_due": {r: 403 for r in ROLES} | {r: 200 for r in (
        "supervisor", "manager", "general_manager", "gm_top")},
    "access_requests": {r: 403 for r in ROLES} | {r: 200 for r in (
        "manager", "general_manager", "auditor", "gm_top")},
    "custom_fields": {r: 200 for r in ROLES},
    "define_custom_field": {r: 403 for r in ROLES} | {"admin": 200},
}
# Borrowing decisions: a pending request of gm_top on `top`, and an unknown request.
REQUEST_OBJECTS = ("pending", "unknown")
DECISIONS = {
    name: {
        "agent": (403, 403), "supervisor": (403, 403), "admin": (403, 403),
        "auditor": (403, 403),
        "manager": (404, 404),           # the record is above their clearance
        "general_manager": (404, 404),
        "gm_top": (403, 404),            # nobody decides their own request
    } for name in ("approve_access", "reject_access")
}


# The customer record and borrowing routes; search, duplicates, merge, segments,
# destruction and import/export have their own tests in this folder, a customer's
# contact log is the ticket service's (T8, e2e/ticket/test_field_and_calls.py), and the
# notification preferences are notify's (in e2e/test_authorization_matrix.py's rows).
RECORD_PATHS = ("/api/v1/customers", "/api/v1/access-requests", "/api/v1/custom-fields",
                "/api/v1/screen-pop")
OWN_TESTS = ("/search", "/duplicates", "/segment", "/merge", "/destruction-requests",
             "/export", "/contacts", "/notification-preferences")


def _record_routes() -> set[str]:
    found = set()
    for name, fn in vars(GatewayService).items():
        for entrypoint in getattr(fn, "nameko_entrypoints", ()):
            url = getattr(entrypoint, "url", "")
            if url.startswith(RECORD_PATHS) and not any(part in url for part in OWN_TESTS):
                found.add(name)
    return found


def test_s1_the_matrix_covers_every_customer_route():
    routes = _record_routes()
    assert routes == set(PER_CUSTOMER) | set(GENERAL) | set(DECISIONS)
    for table in (PER_CUSTOMER, GENERAL, DECISIONS):
        assert all(set(row) == set(ROLES) for row in table.values())


# ------------------------------------------------------------------ the world

def _staff(admin, role, clearance, groups):
    username, password = "s1" + uuid.uuid4().hex[:12], "Pw-" + uuid.uuid4().hex
    reply = admin.create_staff({"username": username, "display_name": role,
                                         "password": password, "roles": [role],
                                         "groups": groups, "clearance": clearance})
    assert reply.status_code == 201, reply.text
    return Client(username, password)


def send(client, method, path, body=None):
    return client.http.request(method, BASE + path, json=body, timeout=10)


@pytest.fixture(scope="module")
def world(admin):
    groups = ["s1" + uuid.uuid4().hex[:8] for _ in range(2)]
    for g in groups:
        assert admin.post("/api/v1/groups", {"name": g, "display_name": g}).status_code == 201
    g1, g2 = groups
    members = {name: _staff(admin, role, clr, [g1]) for name, (role, clr) in MEMBERS.items()}
    maker1, maker2 = _staff(admin, "agent", 0, [g1]), _staff(admin, "agent", 0, [g2])
    boss = _staff(admin, "general_manager", 3, [])

    objects = {}
    for name, maker in (("own", maker1), ("other", maker2), ("secret", maker1),
                        ("conf", maker1), ("top", maker1), ("declassified", maker1)):
        reply = maker.post("/api/v1/customers", {"name": f"矩阵{name}", "notes": "档案正文",
                                                  "phones": [random_mobile()]})
        assert reply.status_code == 201, reply.text
        objects[name] = reply.json()
        assert objects[name]["owner_group"] == (g2 if name == "other" else g1)
    for name, level in (("secret", 1), ("conf", 2), ("top", 3)):
        reply = send(boss, "PUT", f"/api/v1/customers/{objects[name]['id']}/classification",
                     {"level": level, "reason": "矩阵"})
        assert reply.status_code == 200, reply.text
    at = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=2)
    cid = objects["declassified"]["id"]
    reply = send(boss, "PUT", f"/api/v1/customers/{cid}/classification",
                 {"level": 3, "declassify_at": at.isoformat(), "declassify_to": 1,
                  "reason": "矩阵"})
    assert reply.status_code == 200, reply.text
    # Before the instant it is the top-secret record: a manager gets the card, may not
    # change it, and does not even find it in scope.
    before = members["manager"].get(f"/api/v1/customers/{cid}").json()
    assert (before["effective_level"], before["archive"]) == (3, None)
    assert send(members["manager"], "PATCH", f"/api/v1/customers/{cid}",
                {"region": "矩阵测试"}).status_code == 404
    objects["unknown"] = {"id": str(uuid.uuid4()), "number": "KH99999999"}

    pending = members["gm_top"].post("/api/v1/access-requests", {
        "customer_id": objects["top"]["id"], "reason": "矩阵借阅", "hours": 1})
    assert pending.status_code == 201, pending.text
    requests_ = {"pending": pending.json()["id"], "unknown": str(uuid.uuid4())}

    time.sleep(max(0.0, (at - datetime.datetime.now(datetime.UTC)).total_seconds()) + 0.3)
    after = members["manager"].get(f"/api/v1/customers/{cid}").json()
    assert (after["effective_level"], after["archive"] is not None) == (1, True)
    return {"members": members, "admin": admin, "objects": objects, "requests": requests_}


# ------------------------------------------------------------------ the calls

def per_customer_call(name, obj):
    cid, number = obj["id"], obj["number"]
    c = f"/api/v1/customers/{cid}"
    return {
        "get_customer": ("GET", c, None),
        "screen_pop": ("GET", f"/api/v1/screen-pop?number={number}", None),
        "lookup": ("GET", f"/api/v1/customers/lookup?number={number}", None),
        "update_customer": ("PATCH", c, {"region": "矩阵测试"}),
        "add_asset": ("POST", c + "/assets", {"product": "矩阵测试品"}),
        "classify": ("PUT", c + "/classification", {"level": obj["level_now"],
                                                     "reason": "矩阵核对"}),
        "unmask_phones": ("POST", c + "/phones/unmask", {"reason": "回拨核实"}),
        "customer_history": ("GET", c + "/history", None),
        "mark_reviewed": ("POST", c + "/review", {}),
        "access_log": ("GET", c + "/access-log", None),
        "customer_tickets": ("GET", c + "/tickets", None),
        "request_access": ("POST", "/api/v1/access-requests",
                           {"customer_id": cid, "reason": "矩阵借阅", "hours": 1}),
    }[name]


def general_call(name):
    return {
        "create_customer": ("POST", "/api/v1/customers",
                            {"name": "矩阵新客户", "phones": [random_mobile()]}),
        "review_due": ("GET", "/api/v1/customers/review-due", None),
        "access_requests": ("GET", "/api/v1/access-requests", None),
        "custom_fields": ("GET", "/api/v1/custom-fields", None),
        "define_custom_field": ("POST", "/api/v1/custom-fields",
                                {"key": "s1_probe", "label": "矩阵探针", "type": "text"}),
    }[name]


def observed(name, reply):
    """The cell as seen: a status, or A/C (a customer with/without archive), M/N."""
    if reply.status_code != 200 or name not in ("get_customer", "screen_pop", "lookup"):
        return reply.status_code
    body = reply.json()
    if name == "get_customer":
        return "A" if body["archive"] is not None else "C"
    if not body["matches"]:
        return "N"
    if name == "lookup":
        assert len(body["matches"]) == 1 and body.get("view") is None
        return "M" if body["matches"][0]["archive"] is None else "leaked archive in lookup"
    return "A" if body["view"]["customer"]["archive"] is not None else "C"


def archive_shown(reply):
    """For answers that carry a customer: whether its archive is there (else None)."""
    if reply.status_code not in (200, 201):
        return None
    body = reply.json()
    if isinstance(body, dict) and "archive" in body and "name" in body:
        return body["archive"] is not None
    return None


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", sorted(PER_CUSTOMER))
def test_s1_matrix_per_customer(world, route, role):
    client = world["members"][role]
    expected_row = PER_CUSTOMER[route][role]
    reads = PER_CUSTOMER["get_customer"][role]
    got, problems = [], []
    for obj_name, expected in zip(OBJECTS, expected_row, strict=True):
        obj = {**world["objects"][obj_name], "level_now": LEVEL_NOW[obj_name]}
        method, path, body = per_customer_call(route, obj)
        reply = send(client, method, path, body)
        cell = observed(route, reply)
        got.append(cell)
        if cell != expected:
            problems.append(f"{obj_name}: expected {expected}, got {cell}: {reply.text[:200]}")
        shown = archive_shown(reply)
        if shown is not None and shown != (reads[OBJECTS.index(obj_name)] == "A"):
            problems.append(f"{obj_name}: archive shown={shown} disagrees with GET")
    assert not problems, f"{route} as {role}: {tuple(got)}\n" + "\n".join(problems)


@pytest.mark.parametrize("route", sorted(GENERAL))
def test_s1_matrix_general(world, route):
    got = {}
    for role in ROLES:
        method, path, body = general_call(route)
        got[role] = send(world["members"][role], method, path, body).status_code
    assert got == GENERAL[route]


@pytest.mark.parametrize("route", sorted(DECISIONS))
def test_s1_matrix_borrowing_decisions(world, route):
    action = "approve" if route == "approve_access" else "reject"
    got = {role: tuple(send(world["members"][role], "POST",
                            f"/api/v1/access-requests/{world['requests'][r]}/{action}",
                            {}).status_code for r in REQUEST_OBJECTS) for role in ROLES}
    assert got == DECISIONS[route]


def test_s1_no_archive_text_reaches_anyone_the_table_refuses(world):
    """The archive's text appears in no answer of a caller GET shows only the card."""
    for role in ROLES:
        for obj_name, cell in zip(OBJECTS, PER_CUSTOMER["get_customer"][role], strict=True):
            if cell != "C":
                continue
            cid = world["objects"][obj_name]["id"]
            for path in (f"/api/v1/customers/{cid}", f"/api/v1/customers/{cid}/history"):
                assert "档案正文" not in world["members"][role].get(path).text, (role, obj_name)
