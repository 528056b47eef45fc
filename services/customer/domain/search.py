"""Fuzzy search, duplicates and merge (C8), segments (C9): the rules, free of I/O.

Search reads a query the way an agent types it: Chinese characters are a name
(张三, 张), Latin letters are pinyin (zhangsan) or its initials (zs), a run of
four or more digits is part of a phone number, letters followed by digits are
a customer number (KH0000…).  Duplicates are pairs of live customers sharing a
phone, with similar names (pg_trgm) or the same pinyin; a name shared by many
customers (王伟) is no evidence, so such groups are ignored.
"""
import datetime
import re
from dataclasses import dataclass
from typing import Any

from services.common.errors import Invalid
from services.customer.domain.records import ARCHIVE_PARTS, pinyin_of

MIN_PHONE_DIGITS = 4
# Trigram similarity (0..1) above which two names count as similar (duplicates) —
# on the name stripped of legal-form words (有限公司, 集团...), see migration 0003.
NAME_SIMILARITY = 0.5
# Similarity of a misspelt query to a name / its pinyin for fuzzy search results.
SEARCH_SIMILARITY = 0.5
# Names (and pinyin) shared by more customers than this are common names, not evidence.
COMMON_NAME = 10
# Names shorter than this (after stripping) are compared by pinyin only: trigram
# similarity between two- or three-character names says little.
MIN_SIMILAR_NAME = 4
REASON_WEIGHTS = {"phone": 0.7, "pinyin": 0.4, "name": 0.5}

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_PHONE_NOISE = re.compile(r"[\s\-+()（）.]")
_NUMBER = re.compile(r"^[A-Za-z]{1,6}\d+$")
_NOT_ALNUM = re.compile(r"[^0-9a-z]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class SearchPlan:
    """What to look for.  `kind` is name | pinyin | phone | number."""

    kind: str
    text: str = ""            # name: the characters typed, without spaces
    pinyin: str = ""          # name: its pinyin (homophones); pinyin: the letters typed
    digits: tuple = ()        # phone: the digit runs to find inside stored numbers
    number: str = ""          # number: upper-case prefix


def plan_search(raw: str) -> SearchPlan:
    """Classify a query; Invalid (field `q`) when there is nothing to search for."""
    q = _SPACES.sub(" ", (raw or "").strip())
    if not q:
        raise Invalid("nothing to search for", {"q": ["give a name, pinyin, phone or number"]})
    if _CJK.search(q):
        text = q.replace(" ", "")
        return SearchPlan("name", text=text, pinyin=pinyin_of(text)[0])
    compact = _PHONE_NOISE.sub("", q)
    if compact.isdigit():
        if len(compact) < MIN_PHONE_DIGITS:
            raise Invalid("too few digits", {"q": [
                f"a phone search needs at least {MIN_PHONE_DIGITS} digits"]})
        return SearchPlan("phone", digits=phone_runs(compact))
    if _NUMBER.match(compact):
        return SearchPlan("number", number=compact.upper(), pinyin=_NOT_ALNUM.sub("", q.lower()))
    letters = _NOT_ALNUM.sub("", q.lower())
    if not letters:
        raise Invalid("nothing to search for", {"q": ["give a name, pinyin, phone or number"]})
    return SearchPlan("pinyin", pinyin=letters)


def phone_runs(digits: str) -> tuple:
    """The digit runs to look for inside stored E.164 numbers (+8613912345678).

    `0086…` is the international prefix, a leading 0 of a long number is the
    trunk prefix of a landline (010-…): stored numbers have neither."""
    runs = [digits]
    if digits.startswith("0086"):
        runs.append(digits[2:])
    elif digits.startswith("0") and len(digits) >= 7:
        runs.append(digits[1:])
    return tuple(dict.fromkeys(runs))


# ---- duplicates --------------------------------------------------------------------

def duplicate_score(reasons, similarity: float | None) -> float:
    """1 − Π(1 − wᵢ): each independent piece of evidence raises the score; in [0, 1)."""
    remaining = 1.0
    for reason in set(reasons):
        weight = REASON_WEIGHTS[reason]
        if reason == "name" and similarity is not None:
            weight *= similarity
        remaining *= 1 - weight
    return round(1 - remaining, 3)


def duplicate_pairs(rows: list[dict]) -> list[dict]:
    """Group (newer, older, reason, similarity, phone) rows into one pair each, with the
    reasons and a score, best first.  The older customer is the suggested survivor."""
    pairs: dict[tuple[str, str], dict] = {}
    for r in rows:
        pair = pairs.setdefault((r["newer"], r["older"]), {
            "customer_id": r["older"], "duplicate_id": r["newer"], "reasons": set(),
            "name_similarity": None, "shared_phones": set()})
        pair["reasons"].add(r["reason"])
        if r.get("similarity") is not None:
            pair["name_similarity"] = max(pair["name_similarity"] or 0.0, r["similarity"])
        if r.get("phone"):
            pair["shared_phones"].add(r["phone"])
    out = []
    for pair in pairs.values():
        reasons = sorted(pair["reasons"], key=list(REASON_WEIGHTS).index)
        similarity = pair["name_similarity"]
        out.append({**pair, "reasons": reasons, "shared_phones": sorted(pair["shared_phones"]),
                    "name_similarity": None if similarity is None else round(similarity, 3),
                    "score": duplicate_score(reasons, similarity)})
    out.sort(key=lambda p: (-p["score"], p["duplicate_id"], p["customer_id"]))
    return out


# ---- merge -------------------------------------------------------------------------

def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def union_phones(survivor: list[dict], merged: list[dict]) -> list[dict]:
    """The survivor's phones, then the merged customer's it lacks (same number + ext)."""
    seen = {(p["e164"], p.get("ext") or "") for p in survivor}
    out = [dict(p) for p in survivor]
    for p in merged:
        key = (p["e164"], p.get("ext") or "")
        if key not in seen:
            seen.add(key)
            out.append(dict(p))
    return out


def union_list(survivor: list, merged: list) -> list:
    return list(dict.fromkeys([*survivor, *merged]))


def fill_dict(survivor: dict, merged: dict) -> dict:
    """Keys the survivor lacks (or holds empty) take the merged customer's value;
    nested objects are filled the same way."""
    out = dict(survivor or {})
    for key, value in (merged or {}).items():
        if _empty(out.get(key)):
            if not _empty(value):
                out[key] = value
        elif isinstance(out[key], dict) and isinstance(value, dict):
            out[key] = fill_dict(out[key], value)
    return out


ARCHIVE_KEYS = ("profile", *ARCHIVE_PARTS)


def fill_archive(survivor: dict, merged: dict) -> dict:
    """The archive columns of the survivor that change: empty ones take the merged
    customer's (objects key by key, lists and notes when empty)."""
    changed = {}
    for key in ARCHIVE_KEYS:
        old, theirs = survivor.get(key), merged.get(key)
        new: Any
        if isinstance(old, dict) or isinstance(theirs, dict):
            new = fill_dict(old or {}, theirs or {})
        else:
            new = theirs if _empty(old) and not _empty(theirs) else old
        if new != old and not (_empty(new) and _empty(old)):
            changed[key] = new
    return changed


def fill_card(survivor: dict, merged: dict) -> dict:
    """Card columns of the survivor that are empty and the merged customer has."""
    out = {}
    if survivor.get("credit_class") is None and merged.get("credit_class") is not None:
        out["credit_class"] = merged["credit_class"]
    if not survivor.get("region") and merged.get("region"):
        out["region"] = merged["region"]
    tags = union_list(survivor.get("tags") or [], merged.get("tags") or [])
    if tags != list(survivor.get("tags") or []):
        out["tags"] = tags
    return out


def merged_classification(survivor: dict, merged: dict, now: datetime.datetime) -> dict:
    """The survivor's (level, declassify_at, declassify_to) after taking in the merged
    customer's data: never lower than either record at any moment (C4).

    Returns {} when the survivor's own classification already covers both."""
    def final(c: dict) -> int:
        at = c.get("declassify_at")
        if at is not None and at > now:
            return c["declassify_to"]
        return c["effective_level"]

    level = max(survivor["effective_level"], merged["effective_level"])
    floor = max(final(survivor), final(merged))
    dates = [c["declassify_at"] for c in (survivor, merged)
             if c.get("declassify_at") is not None and c["declassify_at"] > now]
    if floor >= level or not dates:
        new = {"level": level, "declassify_at": None, "declassify_to": None}
    else:
        new = {"level": level, "declassify_at": max(dates), "declassify_to": floor}
    current = {"level": survivor["effective_level"],
               "declassify_at": survivor.get("declassify_at") if final(survivor) !=
               survivor["effective_level"] else None,
               "declassify_to": survivor.get("declassify_to") if final(survivor) !=
               survivor["effective_level"] else None}
    return {} if new == current else new


def check_merge_pair(survivor_id: str, merged_id: str) -> None:
    if survivor_id == merged_id:
        raise Invalid("a customer cannot be merged into itself",
                      {"merge_id": ["must differ from the surviving customer"]})
