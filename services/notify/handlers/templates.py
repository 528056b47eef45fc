"""Use cases of templates (N2): save a version, list, read, retire, preview."""
from services.common.errors import NotFound
from services.common.identity import Principal
from services.notify.domain import templates as rules
from services.notify.domain.templates import refused
from services.notify.store import templates as store


def _shown(row: dict) -> dict:
    """A template as answered; SMS ones with their length for sample values."""
    if row["channel"] == "sms":
        sample = rules.render(row["body"], {v: f"{{{v}}}" for v in row["variables"]},
                              row["variables"])
        row = {**row, "sms": rules.sms_length(sample, row["sign_name"])}
    return row


def save_template(tx, principal: Principal, t: dict) -> dict:
    """The next version of a template, once its variables and body agree."""
    rules.check_template(t["body"], t["subject"], t["variables"])
    if t["channel"] == "sms" and not (t["provider_code"] and t["sign_name"]):
        missing = "provider_code" if not t["provider_code"] else "sign_name"
        raise refused(missing, "an SMS template needs the provider's template code and "
                                 "the approved sign name")
    if t["channel"] == "email" and not t["subject"]:
        raise refused("subject", "an email template needs a subject")
    store.lock_name(tx.cur, t["name"], t["channel"], t["locale"])
    return _shown(store.insert_version(tx.cur, t, principal.username))


def templates(tx, query: dict) -> dict:
    rows = store.listing(tx.cur, query.get("channel"), query.get("name"),
                         query["all_versions"], query["retired"])
    return {"templates": [_shown(r) for r in rows]}


def get_template(tx, template_id: str) -> dict:
    row = store.get(tx.cur, template_id)
    if row is None:
        raise NotFound("no such template")
    return _shown(row)


def retire_template(tx, template_id: str) -> dict:
    """No new send may use it; messages already queued keep their version."""
    row = store.retire(tx.cur, template_id)
    if row is None:
        raise NotFound("no such template")
    return _shown(row)


def preview(tx, template_id: str, params: dict) -> dict:
    t = get_template(tx, template_id)
    values = rules.check_params(params, t["variables"])
    content = rules.render(t["body"], values, t["variables"])
    return {"subject": rules.render(t["subject"], values, t["variables"], "subject"),
            "content": content,
            "sms": rules.sms_length(content, t["sign_name"]) if t["channel"] == "sms" else None}


def current(tx, name: str, channel: str, locale: str) -> dict:
    """The template a send names, in its current version."""
    row = store.current(tx.cur, name, channel, locale)
    if row is None:
        raise refused("template", f"no {channel} template named {name!r} ({locale})")
    return row
