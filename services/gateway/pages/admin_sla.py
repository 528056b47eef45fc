"""SLA 与节假日 and 重复工单识别 (系统设置, for admins): response and resolution targets
per kind x urgency, business hours, one year's holiday calendar (overrides set and
dropped, the statutory days shown), and the repeat-detection rule of each kind.  A table
of targets or rules is saved row by row, only the rows that changed; refused rows are
shown again with their values and reasons."""
import datetime

from werkzeug.wrappers import Response

from services.common.errors import KefuError
from services.gateway.pages.admin import decimal, done, refused, whole
from services.gateway.pages.web import CHINA, Visit, redirect
from services.ticket.contract.tickets import KINDS, URGENCIES

SOURCE = {"override": "手工设置", "chinese_calendar": "法定节假日/调休", "weekend_rule": "周末规则"}
MAX_NOTE = 200


def _year(request) -> int:
    text = request.args.get("year", "")
    year = int(text) if text.isdecimal() and len(text) == 4 else 0
    return year if 2000 <= year <= 2100 else datetime.datetime.now(CHINA).year


def special_days(days: list[dict]) -> tuple[list[dict], list[dict]]:
    """(the admin's overrides, the statutory holidays and make-up working days) of a
    calendar: the days chinese_calendar makes other than the weekend rule would."""
    overrides = [d for d in days if d.get("source") == "override"]
    statutory = [d for d in days if d.get("source") == "chinese_calendar"
                 and d["workday"] == (datetime.date.fromisoformat(str(d["day"])).weekday() >= 5)]
    return overrides, statutory


def sla(visit: Visit, request, errors=None, values=None, year: int | None = None) -> Response:
    """SLA 与节假日: targets per kind x urgency, business hours, one year's calendar."""
    year = year or _year(request)
    policies = {(p["kind"], p["urgency"]): p for p in visit.ask("ticket", "sla_policies")
                .get("policies", [])}
    calendar = visit.ask("ticket", "calendar", {"from": f"{year}-01-01", "to": f"{year}-12-31"})
    overrides, statutory = special_days(calendar.get("days", []))
    return visit.render("admin_sla.html", policies=policies, kinds=KINDS, urgencies=URGENCIES,
                        hours=visit.ask("ticket", "business_hours"), year=year,
                        overrides=overrides, statutory=statutory, sources=SOURCE,
                        unknown_years=calendar.get("unknown_years", []),
                        errors=errors or {}, values=values or {}, done=done(request))


def sla_policies(visit: Visit, request) -> Response:
    """The targets that changed, each set; the refused ones shown again beside their row."""
    current = {(p["kind"], p["urgency"]): p for p in visit.ask("ticket", "sla_policies")
               .get("policies", [])}
    errors: dict = {}
    values = {key: request.form.get(key, "")[:12] for kind in KINDS for urgency in URGENCIES
              for key in (f"response.{kind}.{urgency}", f"resolution.{kind}.{urgency}")}
    for kind in KINDS:
        for urgency in URGENCIES:
            was = current.get((kind, urgency), {})
            targets = {"response_minutes": whole(values[f"response.{kind}.{urgency}"]),
                       "resolution_minutes": whole(values[f"resolution.{kind}.{urgency}"])}
            if all(was.get(name) == value for name, value in targets.items()) \
                    or (not was and targets == {name: "" for name in targets}):
                continue
            typed = [name for name, value in targets.items() if not isinstance(value, int)]
            if typed:
                for name in typed:
                    errors[f"{kind}.{urgency}.{name}"] = ["请输入整数（分钟）"]
                continue
            try:
                visit.ask("ticket", "set_sla_policy", kind, urgency, targets)
            except KefuError as exc:
                errors.update({f"{kind}.{urgency}.{name}": why
                               for name, why in refused(exc).items()})
    if errors:
        return sla(visit, request, errors, values)
    return redirect("/admin/sla?done=saved", visit.htmx)


def sla_hours(visit: Visit, request) -> Response:
    """The business hours (a working day's start and end, and their time zone)."""
    data = {"timezone": request.form.get("timezone", "")[:64].strip() or CHINA.key,
            "start": request.form.get("start", "")[:8].strip(),
            "end": request.form.get("end", "")[:8].strip()}
    try:
        visit.ask("ticket", "set_business_hours", data)
    except KefuError as exc:
        return sla(visit, request, {f"hours.{k}": v for k, v in refused(exc).items()},
                   {f"hours.{k}": v for k, v in data.items()})
    return redirect("/admin/sla?done=saved", visit.htmx)


def calendar_set(visit: Visit, request) -> Response:
    """A day made a working day or a day off (e.g. next year's holidays, announced late)."""
    day = request.form.get("day", "")[:10].strip()
    data = {"workday": request.form.get("workday") == "yes",
            "note": request.form.get("note", "")[:MAX_NOTE].strip()}
    year = int(day[:4]) if day[:4].isdecimal() else None
    try:
        visit.ask("ticket", "set_calendar_day", day, data)
    except KefuError as exc:
        values = {"day.day": day, "day.workday": "yes" if data["workday"] else "no",
                  "day.note": data["note"]}
        return sla(visit, request, {f"day.{k}": v for k, v in refused(exc).items()}, values,
                   year if year and 2000 <= year <= 2100 else None)
    return redirect(f"/admin/sla?year={year}&done=saved#calendar", visit.htmx)


def calendar_delete(visit: Visit, request, day) -> Response:
    """A day's override dropped: the built-in calendar again."""
    day = day[:10]
    try:
        visit.ask("ticket", "delete_calendar_day", day)
    except KefuError as exc:
        return sla(visit, request, {f"day.{k}": v for k, v in refused(exc).items()})
    return redirect(f"/admin/sla?year={day[:4]}&done=deleted#calendar", visit.htmx)


# -- repeat detection ------------------------------------------------------------------------------
def repeat(visit: Visit, request, errors=None, values=None) -> Response:
    """重复工单识别: per kind, the window (days; 0 = off) and the similarity threshold."""
    rules = visit.ask("ticket", "repeat_rules").get("rules", [])
    return visit.render("admin_repeat.html", rules=rules, errors=errors or {},
                        values=values or {}, done=done(request))


def repeat_save(visit: Visit, request) -> Response:
    """The rules that changed, each set; refused ones shown again beside their row."""
    current = {r["kind"]: r for r in visit.ask("ticket", "repeat_rules").get("rules", [])}
    errors: dict = {}
    values = {key: request.form.get(key, "")[:12] for kind in KINDS
              for key in (f"window_days.{kind}", f"threshold.{kind}")}
    for kind in KINDS:
        rule = {"kind": kind, "window_days": whole(values[f"window_days.{kind}"]),
                "threshold": decimal(values[f"threshold.{kind}"])}
        was = current.get(kind, {})
        if was.get("window_days") == rule["window_days"] \
                and was.get("threshold") == rule["threshold"]:
            continue
        try:
            visit.ask("ticket", "set_repeat_rule", rule)
        except KefuError as exc:
            errors.update({f"{name}.{kind}": why for name, why in refused(exc).items()})
    if errors:
        return repeat(visit, request, errors, values)
    return redirect("/admin/repeat?done=saved", visit.htmx)
