"""Questionnaire rules (V3), no I/O: what a version may hold, when it may change, and
whether a set of answers fits it.

- A version's questions: distinct keys; choice questions have 2–20 distinct options and
  only they have options; `csat` only on a scale question and on one at most; one NPS
  question at most (it is the one NPS counts); `max_length` only on text (default 500).
- A published version never changes: saving one again is refused (`editable`), the
  caller saves the name, which makes the next draft.
- Answers (`check_answers`): every required question answered, each answer of its
  kind — an option, options, 1–5, 0–10, text within its length — and no unknown keys.
  Every wrong one is named `answers.<key>` in one Invalid.
"""
from services.common.errors import Conflict, Forbidden, Invalid
from services.common.identity import Principal
from services.survey.contract.questionnaires import CHOICE_KINDS
from services.vocabulary import MANAGERS_UP

DEFAULT_TEXT_LENGTH = 500
CONTEXT = ("customer_id", "ticket_id", "task_id", "group_name", "ticket_kind", "category_id")
LEVEL_OF_SCORE = {5: "very_satisfied", 4: "satisfied", 3: "neutral", 2: "dissatisfied",
                  1: "very_dissatisfied"}


def check_questions(questions: list[dict]) -> list[dict]:
    """The questions as stored (options/csat/max_length normalised), or Invalid naming
    `questions.<i>.<field>`."""
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    csat = nps = 0
    out = []
    for i, q in enumerate(questions):
        at = f"questions.{i}"
        kind, options = q["kind"], list(q.get("options") or [])
        if q["key"] in seen:
            errors[f"{at}.key"] = [f"{q['key']!r} is used twice"]
        seen.add(q["key"])
        if kind in CHOICE_KINDS:
            if len(options) < 2:
                errors[f"{at}.options"] = ["a choice question needs at least 2 options"]
            elif len(set(options)) != len(options):
                errors[f"{at}.options"] = ["options must be distinct"]
        elif options:
            errors[f"{at}.options"] = [f"a {kind} question has no options"]
        if q.get("csat"):
            csat += 1
            if kind != "scale":
                errors[f"{at}.csat"] = ["only a 1–5 scale question can be the CSAT one"]
            elif csat > 1:
                errors[f"{at}.csat"] = ["one CSAT question per questionnaire"]
        if kind == "nps":
            nps += 1
            if nps > 1:
                errors[f"{at}.kind"] = ["one NPS question per questionnaire"]
        if q.get("max_length") is not None and kind != "text":
            errors[f"{at}.max_length"] = ["only a text question has a length"]
        out.append({"key": q["key"], "kind": kind, "text": q["text"],
                    "required": bool(q.get("required")), "options": options,
                    "csat": bool(q.get("csat")) and kind == "scale",
                    "max_length": (q.get("max_length") or DEFAULT_TEXT_LENGTH)
                    if kind == "text" else None})
    if errors:
        raise Invalid("the questionnaire's questions do not fit together", errors)
    return out


def editable(version: dict) -> None:
    """A published version is immutable: Conflict (its answers keep it as it was)."""
    if version["status"] == "published":
        raise Conflict(f"{version['name']} version {version['version']} is published and "
                       "cannot change; save the name again for a new draft version",
                       {"questionnaire_id": ["published versions are immutable"]})


def answerable(version: dict) -> None:
    """Only a published version takes answers."""
    if version["status"] != "published":
        raise Invalid("this questionnaire version is a draft",
                      {"questionnaire_id": ["not published"]})


def _unanswered(value) -> bool:
    return value is None or value == "" or value == []


def _int(value) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _check_one(q: dict, value) -> tuple[object, str | None]:
    """(the value as stored, None) or (None, the reason it is wrong)."""
    kind = q["kind"]
    if kind == "single":
        if not isinstance(value, str) or value not in q["options"]:
            return None, "not one of the options"
        return value, None
    if kind == "multiple":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, "a list of options expected"
        if any(v not in q["options"] for v in value):
            return None, "not one of the options"
        if len(set(value)) != len(value):
            return None, "an option is chosen twice"
        return [o for o in q["options"] if o in value], None  # in the options' order
    if kind in ("scale", "nps"):
        low, high = (1, 5) if kind == "scale" else (0, 10)
        number = _int(value)
        if number is None or not low <= number <= high:
            return None, f"a whole number from {low} to {high} expected"
        return number, None
    if not isinstance(value, str):
        return None, "text expected"
    text = value.strip()
    if len(text) > q["max_length"]:
        return None, f"at most {q['max_length']} characters"
    return text, None


def check_answers(questions: list[dict], answers: dict) -> dict:
    """{"values": {key: value}, "texts": {key: text}, "csat_score", "nps_score",
    "level"}: free text apart (it is personal, erased with the customer), the scores
    of the CSAT and NPS questions; or Invalid naming every wrong `answers.<key>`."""
    errors: dict[str, list[str]] = {}
    by_key = {q["key"]: q for q in questions}
    for key in answers:
        if key not in by_key:
            errors[f"answers.{key}"] = ["no such question in this version"]
    values: dict = {}
    texts: dict = {}
    for q in questions:
        value = answers.get(q["key"])
        if isinstance(value, str) and q["kind"] == "text":
            value = value.strip()
        if _unanswered(value):
            if q["required"]:
                errors[f"answers.{q['key']}"] = ["required"]
            continue
        stored, reason = _check_one(q, value)
        if reason:
            errors[f"answers.{q['key']}"] = [reason]
        elif q["kind"] == "text":
            texts[q["key"]] = stored
        else:
            values[q["key"]] = stored
    if errors:
        raise Invalid("the answers do not fit the questionnaire", errors)
    csat = next((values.get(q["key"]) for q in questions if q["csat"]), None)
    nps = next((values.get(q["key"]) for q in questions if q["kind"] == "nps"), None)
    return {"values": values, "texts": texts, "csat_score": csat, "nps_score": nps,
            "level": LEVEL_OF_SCORE.get(csat) if csat is not None else None}


def public_questions(questions: list[dict]) -> list[dict]:
    """The questions as the public page shows them (all of them: nothing personal)."""
    return [dict(q) for q in questions]


def answer_context(principal: Principal, data: dict, task: dict | None) -> dict:
    """Whom an answer (or a link) counts for — the figures' dimensions — and about whom.

    With a follow-up task (read in the caller's scope, else NotFound before this): its
    assignee, its first group, its ticket, customer, kind and category, whatever the
    caller sent.  Without: the caller is the agent and the group one of the caller's
    own (their only one by default); another agent or group is Forbidden, naming the
    field, unless the caller is a manager up or the system."""
    if task is not None:
        return {"task_id": task["id"], "agent_id": task["assignee_id"],
                "group_name": task["groups"][0] if task["groups"] else None,
                "ticket_id": task["ticket_id"], "customer_id": task["customer_id"],
                "ticket_kind": task["ticket_kind"], "category_id": task["category_id"]}
    context = {k: data.get(k) for k in CONTEXT}
    free = principal.is_system or principal.has_any(MANAGERS_UP)
    agent, group = data.get("agent_id"), data.get("group_name")
    if agent is None and not principal.is_system:
        agent = principal.id
    if agent != principal.id and not free:
        raise Forbidden("answers count for the agent who took them",
                        {"agent_id": ["only your own"]})
    if group is None and not principal.is_system and len(principal.groups) == 1:
        group = next(iter(principal.groups))
    if group is not None and group not in principal.groups and not free:
        raise Forbidden("answers count for a group of yours", {"group_name": ["not yours"]})
    return {**context, "agent_id": agent, "group_name": group}
