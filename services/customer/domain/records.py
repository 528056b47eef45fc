"""Customer records (C1, C2, C5): numbers, pinyin, field allowlists, history diffs and
the card/archive representation.  No I/O."""
import datetime
import json
import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from services.common.errors import Forbidden, Invalid, NotFound
from services.common.identity import Principal
from services.common.phones import mask_middle
from services.customer.contract.levels import LEVEL_NAMES, ORDINARY
from services.customer.domain.access import in_write_scope
from services.vocabulary import ADMIN, MANAGERS_UP, SUPERVISORS_UP

DESTROYED_NAME = "已销毁客户"

# Per-role field allowlists for create and update.  Level, owner and the
# declassification date are absent on purpose: they change only through the
# audited classification call.
CARD_FIELDS = frozenset({"name", "phones", "emails", "region", "tags", "lifecycle", "assets"})
ARCHIVE_FIELDS = frozenset({"person", "organization", "addresses", "key_people", "notes",
                            "custom"})
CREDIT_FIELDS = frozenset({"credit_class", "credit", "grade"})
CLASSIFICATION_FIELDS = frozenset({"level", "declassify_at", "declassify_to", "owner_id",
                                   "owner_group"})
SYSTEM_FIELDS = frozenset({"id", "number", "created_at", "updated_at", "version", "destroyed",
                           "destroyed_at", "merged_into", "reviewed_at", "last_contact_at",
                           "name_pinyin", "name_initials", "effective_level", "archive",
                           "level_name"})
# The card's own columns a create or update may set.
CARD_COLUMNS = ("name", "region", "tags", "grade", "lifecycle", "credit_class")
# The archive's parts a create or update may set (besides the profile of its kind).
ARCHIVE_PARTS = ("credit", "key_people", "addresses", "notes", "custom")
# Fields whose history belongs to the card (visible to anyone who sees the card).
CARD_HISTORY_FIELDS = frozenset({"name", "phones", "region", "tags", "lifecycle", "grade",
                                 "credit_class", "level", "declassify_at", "declassify_to",
                                 "owner_id", "owner_group", "assets", "reviewed",
                                 "merged_from", "merged_into"})


def writable_fields(principal: Principal) -> frozenset:
    """What this principal may set on create/update."""
    allowed = CARD_FIELDS | ARCHIVE_FIELDS
    if principal.is_system or principal.has_any(SUPERVISORS_UP | MANAGERS_UP | {ADMIN}):
        allowed |= CREDIT_FIELDS
    return allowed


def refuse_unwritable(principal: Principal, data: dict) -> None:
    """Mass assignment: any field outside the allowlist refuses the whole write."""
    errors = {}
    for key in data:
        if key in CLASSIFICATION_FIELDS:
            errors[key] = ["changes only through PUT /api/v1/customers/{id}/classification"]
        elif key in SYSTEM_FIELDS:
            errors[key] = ["set by the system, not writable"]
        elif key in CREDIT_FIELDS and key not in writable_fields(principal):
            errors[key] = ["your role may not change this field"]
    if errors:
        raise Invalid("fields not writable", errors)


def customer_number(sequence_value: int) -> str:
    """Human-readable customer number 客户编号: KH + 8 digits."""
    return f"KH{sequence_value:08d}"


@lru_cache(maxsize=8192)
def _char_pinyin(char: str) -> str:
    return lazy_pinyin(char, style=Style.NORMAL, errors="default")[0].lower()


_TOKENS = re.compile(r"[\u3400-\u9fff]|[A-Za-z0-9]+")


def pinyin_of(name: str) -> tuple[str, str]:
    """("zhangsan", "zs") for 张三: lower-case, no tones, no spaces; Latin words kept.

    Per character (cached), so a million names are cheap; polyphones take
    pypinyin's default reading, and a search also matches the characters."""
    syllables = [_char_pinyin(t) if "\u3400" <= t <= "\u9fff" else t.lower()
                 for t in _TOKENS.findall(name)]
    return "".join(syllables), "".join(s[0] for s in syllables if s)


def with_name_keys(columns: dict) -> dict:
    """Card columns to write: a name brings its pinyin and initials (search keys)."""
    if "name" not in columns:
        return columns
    pinyin, initials = pinyin_of(columns["name"])
    return {**columns, "name_pinyin": pinyin, "name_initials": initials}


_CODE_NOISE = re.compile(r"[\s\-_·.]")


def norm_code(value: str | None) -> str | None:
    """Plates and serials: upper-case without spaces or dashes (`京a-123 45` -> `京A12345`)."""
    if value is None:
        return None
    out = _CODE_NOISE.sub("", value).upper()
    return out or None


def norm_email(value: str) -> str:
    return value.strip().lower()


def norm_assets(assets: list[dict]) -> list[dict]:
    """Assets as stored: serial and plate in their normal form."""
    return [{**a, "serial": norm_code(a.get("serial")), "plate": norm_code(a.get("plate"))}
            for a in assets]


def lookup_key(query: dict) -> tuple[str, str | None]:
    """(key, value as stored) of a lookup query holding exactly one key."""
    key, value = next(iter(query.items()))
    if key == "phone":
        return key, value["e164"]
    if key == "email":
        return key, norm_email(value)
    if key in ("plate", "serial"):
        return key, norm_code(value)
    return key, value.strip().upper()


def unique_phones(phones: list[dict]) -> list[dict]:
    """The same number typed twice (in two forms) is kept once, first position wins."""
    seen, out = set(), []
    for phone in phones:
        key = (phone["e164"], phone.get("ext") or "")
        if key not in seen:
            seen.add(key)
            out.append(phone)
    return out


def unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def unique_emails(emails: list[str]) -> list[str]:
    return unique([norm_email(e) for e in emails])


def phone_values(phones: list[dict]) -> list[dict]:
    """Phones as history and replies show them: {e164, ext or None}."""
    return [{"e164": p["e164"], "ext": p.get("ext") or None} for p in phones]


def jsonable(value):
    """The value as JSON would carry it (dates as text)."""
    return json.loads(json.dumps(value, default=str))


def archive_part(fields: dict, kind: str) -> dict:
    """The archive columns of a create/update body (the profile of the record's kind)."""
    out = {}
    if kind in fields:
        out["profile"] = fields[kind]
    for key in ARCHIVE_PARTS:
        if key in fields:
            out[key] = fields[key]
    return {k: jsonable(v) for k, v in out.items()}


def check_profile_kind(kind: str, fields: dict) -> None:
    """An update carries the profile of the record's own kind only."""
    other = "organization" if kind == "person" else "person"
    if other in fields:
        raise Invalid("profile does not match the kind", {other: [f"only for {other}"]})


def snapshot(card: dict, phones: list[dict], emails: list[str], archive: dict | None) -> dict:
    """A record's changeable fields before an update, in the form `changes` compares."""
    if archive is None:
        raise Forbidden("the archive of this record is not open to you")
    snap = {k: card[k] for k in CARD_COLUMNS}
    snap["phones"] = phone_values(phones)
    snap["emails"] = emails
    snap[card["kind"]] = archive.get("profile") or {}
    for key in ARCHIVE_PARTS:
        snap[key] = archive.get(key)
    return snap


def update_of(kind: str, fields: dict) -> dict:
    """What an update writes: card columns, phones and emails when given, the archive
    part; and `after`, every given field in snapshot form for the diff."""
    card = {k: fields[k] for k in CARD_COLUMNS if k in fields}
    after = dict(card)
    phones = emails = None
    if "phones" in fields:
        phones = unique_phones(fields["phones"])
        after["phones"] = phone_values(phones)
    if "emails" in fields:
        emails = unique_emails(fields["emails"])
        after["emails"] = emails
    archive = archive_part(fields, kind)
    for key, value in archive.items():
        after[kind if key == "profile" else key] = value
    return {"card": card, "phones": phones, "emails": emails, "archive": archive,
            "after": after}


def clamp_limit(limit, most: int = 500) -> int:
    return max(1, min(int(limit), most))


def check_custom(values: dict, definitions: list[dict], creating: bool) -> dict:
    """Custom field values against the admin's definitions; returns the clean values."""
    defs = {d["key"]: d for d in definitions if d["active"]}
    errors, clean = {}, {}
    for key, value in values.items():
        d = defs.get(key)
        if d is None:
            errors[key] = ["no such custom field"]
            continue
        problem = _custom_problem(d, value)
        if problem:
            errors[key] = [problem]
        else:
            clean[key] = value
    if creating:
        for key, d in defs.items():
            if d["required"] and values.get(key) in (None, ""):
                errors.setdefault(key, ["required"])
    if errors:
        raise Invalid("custom fields invalid", {"custom": [f"{k}: {v[0]}" for k, v in
                                                           sorted(errors.items())]})
    return clean


def _custom_problem(d: dict, value) -> str | None:
    if value is None:
        return "required" if d["required"] else None
    kind = d["type"]
    if kind == "text" and not (isinstance(value, str) and len(value) <= 2000):
        return "must be text up to 2000 characters"
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        return "must be a number"
    if kind == "boolean" and not isinstance(value, bool):
        return "must be true or false"
    if kind == "choice" and value not in d["choices"]:
        return "must be one of " + ", ".join(d["choices"])
    if kind == "date":
        try:
            datetime.date.fromisoformat(value)
        except (TypeError, ValueError):
            return "must be a date YYYY-MM-DD"
    return None


def changes(old: dict, new: dict) -> list[tuple[str, object, object]]:
    """[(field, old, new)] for every field of `new` whose value differs from `old`."""
    return [(k, old.get(k), v) for k, v in new.items() if old.get(k) != v]


def in_warranty(warranty_end: datetime.date | None, today: datetime.date) -> bool:
    return warranty_end is not None and today <= warranty_end


def present_card(row: dict, phones: list[dict], assets: list[dict],
                 today: datetime.date) -> dict:
    """The card: what any staff member may see.  Phones masked (`138****8000`)."""
    destroyed = row.get("destroyed_at") is not None
    return {
        **{k: row.get(k) for k in (
            "id", "number", "kind", "name", "level", "effective_level", "declassify_at",
            "declassify_to", "grade", "lifecycle", "credit_class", "region", "tags", "owner_id",
            "owner_group", "last_contact_at", "reviewed_at", "created_at", "updated_at",
            "version")},
        "level_name": _level_name(row.get("effective_level", row.get("level", 0))),
        "phones": [{"masked": mask_middle(p["e164"]), "ext": p.get("ext") or None}
                   for p in phones],
        "assets": [{**a, "in_warranty": in_warranty(a.get("warranty_end"), today)}
                   for a in assets],
        "destroyed": destroyed,
        "archive": None,
        "archive_withheld": None,
    }


def present_archive(kind: str, archive: dict, emails: list[str]) -> dict:
    profile = archive.get("profile") or {}
    return {
        "person": profile if kind == "person" else None,
        "organization": profile if kind == "organization" else None,
        "emails": emails,
        "addresses": archive.get("addresses") or [],
        "key_people": archive.get("key_people") or [],
        "credit": archive.get("credit") or {},
        "notes": archive.get("notes") or "",
        "custom": archive.get("custom") or {},
    }


def _level_name(level: int) -> str:
    return LEVEL_NAMES.get(level, LEVEL_NAMES[ORDINARY])


def no_such_customer() -> NotFound:
    return NotFound("no such customer")


def check_writable(principal: Principal, card: dict | None) -> dict:
    """The card, when this principal may change it: out of scope is 404; a visible but
    classified record above the reader's clearance or archive is 403."""
    if card is None or card.get("destroyed_at") is not None or card.get("merged_into"):
        raise no_such_customer()
    if card["effective_level"] > principal.clearance and not principal.is_system:
        raise no_such_customer()
    if not in_write_scope(principal, card.get("owner_group")):
        raise no_such_customer()
    if card["effective_level"] >= 1 and not (principal.is_system or
                                             principal.has_any(MANAGERS_UP)):
        raise Forbidden("only managers and above change classified records")
    return card
