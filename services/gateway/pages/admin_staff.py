"""Staff accounts 员工 (系统设置, for admins): the list, a new account, an account's roles,
groups, clearance and activity, and the staff changes that wait for a second admin
(approve or reject).  The page calls the gateway's own handlers, as the JSON API does: a
right above the ceiling is not applied but waits (the API's 202), and the page says so."""
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from services.common.errors import KefuError, NotFound
from services.common.ids import parse_id
from services.gateway.contract.staff import StaffCreate, StaffQuery, StaffUpdate
from services.gateway.domain.duties import ELEVATED_ROLES
from services.gateway.handlers import duties, groups, staff
from services.gateway.pages import words
from services.gateway.pages.admin import done, refused, whole
from services.gateway.pages.web import Visit, redirect
from services.vocabulary import ROLES

STAFF_CREATE, STAFF_UPDATE, STAFF_QUERY = StaffCreate(), StaffUpdate(), StaffQuery()
PAGE = 100
MAX_ROLES, MAX_GROUPS = 20, 60
DECIDED = {"approve": "approved", "reject": "rejected"}
GRANT = {"roles": "角色", "groups": "组", "clearance": "密级", "active": "重新启用"}


def posted_account(form) -> dict:
    """What the account form posts, as the staff schemas take it: display name, roles
    (checkboxes), groups (checkboxes), clearance (0–3) and, when the form has it, active
    (a checkbox: absent means no)."""
    data = {"display_name": form.get("display_name", "")[:101].strip(),
            "roles": [r[:32] for r in form.getlist("roles")][:MAX_ROLES],
            "groups": [g[:64] for g in form.getlist("groups")][:MAX_GROUPS],
            "clearance": whole(form.get("clearance", "0")[:12])}
    if "has_active" in form:
        data["active"] = form.get("active") == "on"
    return data


def changes_of(current: dict, wanted: dict) -> dict:
    """Only what differs from the account (a change of one's own rights is refused, so an
    unchanged right must not be sent); roles and groups compared as sets."""
    out = {}
    for name, value in wanted.items():
        was = current.get(name)
        if name in ("roles", "groups"):
            if set(value) != set(was or ()):
                out[name] = value
        elif value != was:
            out[name] = value
    return out


def grant_label(grant: str) -> str:
    """A staff change's grant above the ceiling, in Chinese: "roles: manager" → 角色：经理."""
    name, _, value = grant.partition(": ")
    if name == "roles":
        value = words.label(words.ROLE, value)
    elif name == "clearance" and value.isdecimal():
        value = words.label(words.LEVEL, int(value))
    return f"{GRANT.get(name, name)}：{value}" if value else GRANT.get(name, name)


def _lists(visit: Visit, query: dict) -> tuple[list, list, list]:
    with visit.service.db.transaction() as tx:
        accounts = staff.list_staff(tx, visit.person, query)["staff"]
        names = groups.list_groups(tx, visit.person)["groups"]
        pending = duties.list_changes(tx, visit.person,
                                      {"status": "pending", "limit": 100})["changes"]
    return accounts, names, pending


def index(visit: Visit, request, values=None, errors=None, message: str = "") -> Response:
    """员工: accounts by username (of a group or role), the new-account form, the changes
    waiting for a second admin."""
    asked = {k: request.args.get(k, "")[:64] for k in ("group", "role", "after")
             if request.args.get(k)}
    try:
        query = STAFF_QUERY.load({**asked, "limit": PAGE})
    except ValidationError:
        query, message = {"limit": PAGE}, message or "筛选条件有误，已显示全部"
    accounts, names, pending = _lists(visit, query)
    waits = request.args.get("done") == "pending"  # the API's 202: said by its own notice
    return visit.render("admin_staff.html", accounts=accounts, groups=names, pending=pending,
                        query=asked, more=len(accounts) == PAGE, roles=ROLES,
                        elevated=ELEVATED_ROLES, values=values or {"clearance": 0},
                        errors=errors or {}, message=message, waits=waits,
                        done="" if waits else done(request), grant_label=grant_label,
                        change_id=request.args.get("change", "")[:64])


def create(visit: Visit, request) -> Response:
    """A new account: made at once (201), or waiting for a second admin (202) when it
    holds a right above the ceiling — the list then says 等待第二位管理员批准."""
    data = {"username": request.form.get("username", "")[:65].strip().lower(),
            "password": request.form.get("password", "")[:257],
            **posted_account(request.form)}
    data.pop("active", None)
    try:
        loaded = STAFF_CREATE.load(data)
        pending, row = staff.create_staff(visit.service.db, visit.service.signin,
                                          visit.person, loaded)
    except (KefuError, ValidationError) as exc:
        data.pop("password")  # never written back into a page
        return index(visit, request, data, refused(exc))
    if pending:
        return redirect(f"/admin/staff?done=pending&change={row['id']}", visit.htmx)
    return redirect("/admin/staff?done=created", visit.htmx)


def _account(visit: Visit, staff_id: str) -> dict:
    """One account by its id (NotFound: no such, or not an id)."""
    staff_id = parse_id(staff_id, "staff member")
    with visit.service.db.transaction() as tx:
        return staff.get_staff(tx, visit.person, staff_id)


def edit(visit: Visit, request, staff_id, values=None, errors=None) -> Response:
    """An account: display name, roles, groups, clearance, active."""
    account = _account(visit, staff_id)
    with visit.service.db.transaction() as tx:
        names = groups.list_groups(tx, visit.person)["groups"]
    return visit.render("admin_staff_edit.html", account=account, groups=names, roles=ROLES,
                        elevated=ELEVATED_ROLES, values=values or account, errors=errors or {},
                        own=account["id"] == visit.person.id, done=done(request))


def update(visit: Visit, request, staff_id) -> Response:
    """The account changed where the form differs from it; a grant above the ceiling waits
    for a second admin (202)."""
    account = _account(visit, staff_id)
    wanted = posted_account(request.form)
    changes = changes_of(account, wanted)
    if not changes:
        return redirect(f"/admin/staff/{account['id']}?done=unchanged", visit.htmx)
    try:
        loaded = STAFF_UPDATE.load(changes)
        with visit.service.db.transaction() as tx:
            pending, row = staff.update_staff(tx, visit.person, account["id"], loaded)
    except (KefuError, ValidationError) as exc:
        return edit(visit, request, staff_id, {**account, **wanted}, refused(exc))
    if pending:
        return redirect(f"/admin/staff?done=pending&change={row['id']}", visit.htmx)
    return redirect(f"/admin/staff/{account['id']}?done=saved", visit.htmx)


def decide(visit: Visit, request, change_id, decision) -> Response:
    """Approve or reject a waiting staff change (not the admin who asked for it, nor the
    account it is about); a refusal is said on the list."""
    if decision not in DECIDED:
        raise NotFound("no such decision")
    try:
        change_id = parse_id(change_id, "staff change")
        with visit.service.db.transaction() as tx:
            if decision == "approve":
                duties.approve(tx, visit.person, change_id)
            else:
                duties.reject(tx, visit.person, change_id,
                              request.form.get("note", "")[:500].strip())
    except KefuError as exc:
        reasons = refused(exc).get("_form") or [words.refusal(exc, 400)]
        return index(visit, request, message="；".join(reasons))
    return redirect(f"/admin/staff?done={DECIDED[decision]}#changes", visit.htmx)

