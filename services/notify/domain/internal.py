"""What group robots and outgoing webhooks are told of ticket events (N5).

Robot text names the ticket, never the customer: a group chat is no place for a
customer's data, whatever its level (a dispatched job's address only when the ticket
service shared it, i.e. below confidential).
"""
import datetime

from services.common.zone import local_time
from services.notify.domain.notices import KIND_NAMES, TARGET_NAMES

TITLES = {
    "ticket_created": "新工单", "ticket_assigned": "工单指派", "ticket_transferred": "工单转派",
    "ticket_dispatched": "派工", "ticket_resolved": "工单已解决", "ticket_closed": "工单已关闭",
    "ticket_sla_breached": "工单超时",
}


def robot_text(event_type: str, data: dict) -> tuple[str, str]:
    """(title, text) of a robot message."""
    if event_type == "daily_report":  # counts only, written by the report service
        return data["subject"], data["markdown"]
    title = f"{TITLES.get(event_type, event_type)} {data.get('serial', '')}".strip()
    kind = KIND_NAMES.get(data.get("kind", ""), data.get("kind", ""))
    lines = [f"【{title}】"]
    if kind:
        lines.append(f"类型：{kind}")
    if data.get("group_name"):
        lines.append(f"处理组：{data['group_name']}")
    if event_type == "ticket_dispatched":
        lines.append(f"预约：{local_time(_moment(data['window_start']))} 至 "
                     f"{local_time(_moment(data['window_end']))}")
        if data.get("address"):
            lines.append(f"地址：{data['address']}")
    if event_type == "ticket_sla_breached":
        target = TARGET_NAMES.get(data.get("target", ""), data.get("target", ""))
        lines.append(f"{target}时限：{local_time(_moment(data['due_at']))}")
    if event_type in ("ticket_resolved", "ticket_closed"):
        lines.append(f"状态：{data.get('from_status', '')} → {data.get('to_status', '')}")
    return title, "\n".join(lines)


def _moment(value):
    return value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(
        value)


NOT_TO_WEBHOOKS = frozenset({"chart_png"})  # the daily report's picture: mail only


def webhook_data(event_type: str, event_id: str, data: dict) -> dict:
    """The `data` of an outgoing webhook: the event's own payload as published (the ticket
    service already withholds what a classified ticket may not share)."""
    return {"event": event_type, "event_id": event_id, **{
        k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()
        if k not in NOT_TO_WEBHOOKS}}
