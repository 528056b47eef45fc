"""Messages driven by ticket events (N5), besides the staff inbox (handlers/inbox.py).

- ticket_dispatched: the customer's SMS with the appointment window (template
  `dispatch_appointment`);
- ticket_resolved: the customer's message (template `ticket_resolved`: by email when the
  customer has an address, else by SMS) with a personal survey link: the message waits
  queued until handlers/survey_links.py has the link from the survey service (asked
  again with back-off while it cannot answer; no questionnaire configured or published:
  a plain thank-you);
- campaign_invitation_accepted (survey): the customer's SMS with the check-in code
  (template `campaign_checkin`);
- daily_report (report): the 日报 e-mailed, its curve attached, to the addresses of the
  `daily_report_emails` setting;
- every subscribed event: each active group robot and outgoing webhook told of it.
Every message's key is the event id: a redelivered event finds its messages and adds
none (the pair (key, recipient, channel) is unique).  Event handlers run as notify's
system identity, which may read customers' contact points (logged by the customer
service).
"""
import logging

from services.common.errors import NotFound
from services.common.rpc import call
from services.common.zone import local_time
from services.notify.domain import addresses, internal, policy
from services.notify.domain import templates as rules
from services.notify.handlers.sends import store_now
from services.notify.store import messages as store
from services.notify.store import preferences as prefs_store
from services.notify.store import targets as targets_store
from services.notify.store import templates as templates_store

log = logging.getLogger(__name__)
CONTACT_TIMEOUT = 10.0
LINK_VARIABLE = "survey_link"


def to_targets(tx, event_id: str, event_type: str, data: dict) -> int:
    """One message per active robot / webhook subscribed to the event."""
    made = 0
    for target in targets_store.subscribed(tx.cur, event_type):
        if target["kind"] == "robot":
            title, text = internal.robot_text(event_type, data)
            params: dict = {}
        else:
            title, text = event_type, ""
            params = {"event": event_type, **internal.webhook_data(event_type, event_id, data)}
        _, new = store.insert(tx.cur, {
            "idem_key": f"event:{event_id}", "channel": target["kind"],
            "recipient": addresses.target_key(target["id"]), "address": target["id"],
            "customer_id": None, "level": int(data.get("level") or 0), "template_id": None,
            "purpose": policy.SERVICE, "quiet_hours": "send", "params": params,
            "subject": title, "content": text, "batch_id": None, "status": "queued",
            "reason": None, "not_before": store_now(tx), "created_by": "system"})
        made += int(new)
    return made


def daily_report(tx, event_id: str, data: dict) -> int:
    """The report service's 日报: one e-mail (the curve attached) to each address of the
    `daily_report_emails` setting, and subscribed robots and webhooks told.  Counts
    only: no customer's data, level 0."""
    made = 0
    emails = prefs_store.settings(tx.cur).get("daily_report_emails") or []
    attachments = ([{"name": data["chart_name"], "type": "image/png", "data": data["chart_png"]}]
                   if data.get("chart_png") else [])
    for address in emails:
        _, new = store.insert(tx.cur, {
            "idem_key": f"event:{event_id}", "channel": "email", "recipient": address,
            "address": address, "customer_id": None, "level": 0, "template_id": None,
            "purpose": policy.SERVICE, "quiet_hours": "send",
            "params": {"attachments": attachments}, "subject": data["subject"],
            "content": data["text"], "batch_id": None, "status": "queued", "reason": None,
            "not_before": store_now(tx), "created_by": "system"})
        made += int(new)
    return made + to_targets(tx, event_id, "daily_report", data)


def contact_point(customers, customer_id: str | None, purpose: str) -> dict | None:
    """The customer's name, level, phone and email; None for no (live) customer.  When
    the customer service cannot answer, a placeholder: the message is queued without an
    address and the sender resolves it later (the staff's notices go at once)."""
    if not customer_id:
        return None
    try:
        found = call(customers.contact_points,
                     {"customer_ids": [customer_id], "purpose": purpose},
                     timeout=CONTACT_TIMEOUT)["customers"]
    except NotFound:
        return None
    except Exception as exc:  # noqa: BLE001 — the customer service down or slow
        log.warning("contact points of a customer not read now (%r): resolved later", exc)
        return {"id": customer_id, "name": "", "level": 0, "phone": None, "email": None,
                "unresolved": True}
    return found[0] if found else None


def to_customer(tx, event_id: str, cp: dict | None, name: str, channels: tuple[str, ...],
                values: dict, level: int = 0, link: dict | None = None) -> dict | None:
    """The customer's message from the first channel the customer has an address and a
    current template for; None when there is none (nothing to send, not an error).  Its
    level is the customer's or the ticket's (`level`), whichever is higher.  With `link`
    (what issue_survey_link is asked) and a template that uses `survey_link`, the
    message waits for its link (handlers/survey_links.py)."""
    if cp is None:
        return None
    for channel in channels:
        address = cp.get("phone") if channel == "sms" else cp.get("email")
        if address and channel == "sms" and not addresses.is_mobile(address):
            address = None  # a landline takes no SMS
        t = templates_store.current(tx.cur, name, channel, "zh-CN")
        if t is None or not (address or cp.get("unresolved")):
            continue
        auto = {"name": cp.get("name") or ""}
        params = {v: str(values.get(v, auto.get(v, ""))) for v in t["variables"]}
        now = store_now(tx)
        quiet = policy.QuietHours.parse(prefs_store.settings(tx.cur).get("quiet_hours", ""))
        at = policy.not_before(now, t["purpose"], t["quiet_hours"], quiet)
        row, _ = store.insert(tx.cur, {
            "idem_key": f"event:{event_id}", "channel": channel,
            "recipient": addresses.customer_key(cp["id"]),
            "address": (address or "").lower() if channel == "email" else address or "",
            "customer_id": cp["id"], "level": max(cp["level"], level), "template_id": t["id"],
            "purpose": t["purpose"], "quiet_hours": t["quiet_hours"], "params": params,
            "subject": rules.render(t["subject"], params, t["variables"], "subject"),
            "content": rules.render(t["body"], params, t["variables"]), "batch_id": None,
            "status": "queued", "reason": "quiet_hours" if at > now else None,
            "not_before": at, "created_by": "system",
            "link_request": {**link, "greeting_name": _greeting(auto["name"],
                                                                max(cp["level"], level))}
            if link and LINK_VARIABLE in t["variables"] else None})
        return row
    log.info("event %s: no address or template for %s", event_id, name)
    return None


def _greeting(name: str, level: int) -> str:
    """What the public survey page calls the customer: their name, unless the customer
    or the ticket is classified (the page has no login: nothing then)."""
    return name[:30] if level == 0 else ""


def dispatched_values(job: dict) -> dict:
    return {"serial": job["serial"],
            "window": f"{local_time(job['window_start'])}至{local_time(job['window_end'])[11:]}"}


def resolved_values(ticket: dict) -> dict:
    return {"serial": ticket["serial"], LINK_VARIABLE: ""}  # the link: filled later


def resolution_link(ticket: dict, questionnaire: str) -> dict | None:
    """What the survey service is asked for the resolved ticket's link (whom the answer
    counts for: the ticket's handler, group, kind and category); None: no survey."""
    if not questionnaire:
        return None
    return {"questionnaire_name": questionnaire, "customer_id": ticket["customer_id"],
            "ticket_id": ticket["ticket_id"], "agent_id": ticket.get("assignee_id"),
            "group_name": ticket.get("group_name"), "ticket_kind": ticket["kind"],
            "category_id": ticket.get("category_id")}


def invitation_values(invitation: dict) -> dict:
    """The check-in SMS's values: theme, start (China time), place and code."""
    return {"theme": invitation["theme"], "starts_at": local_time(invitation["starts_at"]),
            "place": invitation.get("place") or "", "checkin_code": invitation["checkin_code"]}
