"""Notification settings 通知设置 (managers up, admins) and group robots 群机器人 (admins),
under 系统设置 (issue 11, N4/N5).

通知设置: the quiet hours (China time; messages that wait for them go when they end) and
the marketing caps per customer per day and week; who receives the daily report 日报 by
e-mail.  群机器人: the DingTalk, WeCom and
Feishu robots and the outgoing webhooks, each with the ticket events it is told of; a
secret is entered once and never shown again.
"""
from werkzeug.wrappers import Response

from services.common.errors import KefuError
from services.gateway.pages.admin import done, whole
from services.gateway.pages.message_templates import refused, said
from services.gateway.pages.web import Visit, redirect
from services.notify.contract.targets import EVENTS, KINDS
from services.vocabulary import ADMINS, MANAGERS_UP

SETTINGS_EDITORS = MANAGERS_UP | ADMINS  # the contract's SETTINGS_EDITORS
ROBOT_ADMINS = ADMINS


# -- quiet hours and caps ----------------------------------------------------------------------
def _quiet(text: str) -> tuple[str, str]:
    start, _, end = (text or "").partition("-")
    return start.strip(), end.strip()


def settings(visit: Visit, request, values=None, errors=None) -> Response:
    """通知设置: quiet hours and the marketing caps."""
    current = visit.ask("notify", "settings")
    if values is None:
        start, end = _quiet(current.get("quiet_hours", ""))
        values = {"quiet_start": start, "quiet_end": end, "quiet_off": not start,
                  "marketing_daily_cap": current.get("marketing_daily_cap", ""),
                  "marketing_weekly_cap": current.get("marketing_weekly_cap", ""),
                  "daily_report_emails": "\n".join(current.get("daily_report_emails", []))}
    return visit.render("notify_settings.html", settings=current, values=values,
                        errors=errors or {}, done=done(request))


def posted_settings(form) -> tuple[dict, dict]:
    """(the settings as the notify service's SettingsIn takes them, what the form showed)."""
    values = {"quiet_start": form.get("quiet_start", "")[:5].strip(),
              "quiet_end": form.get("quiet_end", "")[:5].strip(),
              "quiet_off": form.get("quiet_off") == "on",
              "marketing_daily_cap": form.get("marketing_daily_cap", "")[:6],
              "marketing_weekly_cap": form.get("marketing_weekly_cap", "")[:6],
              "daily_report_emails": form.get("daily_report_emails", "")[:6000]}
    quiet = "" if values["quiet_off"] or not (values["quiet_start"] or values["quiet_end"]) \
        else f"{values['quiet_start']}-{values['quiet_end']}"
    data = {"quiet_hours": quiet,
            "marketing_daily_cap": whole(values["marketing_daily_cap"]),
            "marketing_weekly_cap": whole(values["marketing_weekly_cap"]),
            "daily_report_emails": emails(values["daily_report_emails"])}
    return data, values


def emails(text: str) -> list[str]:
    """The addresses of a text box, one per line (commas, semicolons and spaces split
    too); at most 21 kept, so that more than 20 is refused by the service, not cut."""
    return [part for part in text.replace(",", " ").replace(";", " ").replace("；", " ")
            .replace("，", " ").split() if part][:21]


def settings_save(visit: Visit, request) -> Response:
    """The settings saved; refused, the form again with each reason beside its field."""
    data, values = posted_settings(request.form)
    try:
        visit.ask("notify", "update_settings", data)
    except KefuError as exc:
        return settings(visit, request, values, _by_box(refused(exc)))
    return redirect("/admin/notifications?done=saved", visit.htmx)


def _by_box(errors: dict) -> dict:
    """An address refused (`daily_report_emails.3`) said beside the box, with its number."""
    out: dict = {}
    for name, reasons in errors.items():
        box, _, index = name.partition(".")
        if box == "daily_report_emails" and index.isdigit():
            out.setdefault(box, []).extend(f"第 {int(index) + 1} 个地址：{r}" for r in reasons)
        else:
            out.setdefault(name, []).extend(reasons)
    return out


# -- group robots and webhooks ------------------------------------------------------------------
def robots(visit: Visit, request, values=None, errors=None) -> Response:
    """群机器人: every robot and webhook, and a form for a new one (a known name: replaced)."""
    error = ""
    try:
        targets = visit.ask("notify", "targets").get("targets", [])
    except KefuError as exc:
        targets, error = [], said(exc)
    return visit.render("notify_robots.html", targets=targets, kinds=KINDS, events=EVENTS,
                        values=values or {"kind": "robot", "events": [], "active": True},
                        errors=errors or {}, error=error, done=done(request))


def posted_robot(form) -> dict:
    """The form as the notify service's TargetIn takes it."""
    return {"kind": form.get("kind", "")[:20], "name": form.get("name", "")[:101].strip(),
            "url": form.get("url", "")[:1001].strip(), "secret": form.get("secret", "")[:201],
            "events": [e[:40] for e in form.getlist("events") if e][:len(EVENTS) + 1],
            "markdown": form.get("markdown") == "on", "active": form.get("active") == "on"}


def robot_save(visit: Visit, request) -> Response:
    """A robot or webhook saved; refused, the form again (the secret not shown back)."""
    data = posted_robot(request.form)
    try:
        visit.ask("notify", "save_target", data)
    except KefuError as exc:
        return robots(visit, request, {**data, "secret": ""}, refused(exc))
    return redirect("/admin/robots?done=saved", visit.htmx)
