"""Notification rules, free of I/O: which notice each event puts in whose inbox."""
from services.common.zone import local_time

KIND_NAMES = {
    "consultation": "咨询", "after_sales": "售后", "complaint": "投诉", "suggestion": "建议",
}
TARGET_NAMES = {"response": "响应", "resolution": "处理"}


def ticket_created_notice(ticket: dict) -> dict:
    """The acceptor's inbox notice for a ticket they just accepted."""
    kind = KIND_NAMES.get(ticket["kind"], ticket["kind"])
    return {
        "staff_id": ticket["acceptor_id"],
        "title": f"新工单 {ticket['serial']}",
        "body": f"{kind}工单 {ticket['serial']} 已受理。",
        "ref_type": "ticket",
        "ref_id": ticket["ticket_id"],
    }


def recipients(staff_ids) -> list[str]:
    """Each recipient once, in the order given; blanks dropped."""
    return list(dict.fromkeys(s for s in staff_ids if s))


def _for_each(staff_ids, title: str, body: str, ticket_id: str) -> list[dict]:
    return [{"staff_id": s, "title": title, "body": body, "ref_type": "ticket",
             "ref_id": ticket_id} for s in recipients(staff_ids)]


def _handler(group, person) -> str:
    if person and group:
        return f"{group}组 {person}"
    return person or (f"{group}组" if group else "未指定")


def routed_notices(event_type: str, routed: dict) -> list[dict]:
    """ticket_assigned / ticket_transferred: tell each of notify_staff_ids."""
    kind = KIND_NAMES.get(routed["kind"], routed["kind"])
    serial = routed["serial"]
    to = _handler(routed["group_name"], routed["assignee_id"])
    if event_type == "ticket_transferred":
        source = _handler(routed["from_group"], routed["from_assignee_id"])
        title = f"工单转派 {serial}"
        body = f"{kind}工单 {serial} 已由 {source} 转给 {to}。"
    else:
        title = f"工单指派 {serial}"
        body = f"{kind}工单 {serial} 已指派给 {to}。"
    if routed.get("note"):
        body += f"备注：{routed['note']}"
    return _for_each(routed["notify_staff_ids"], title, body, routed["ticket_id"])


def dispatched_notice(job: dict) -> dict:
    """ticket_dispatched: the field staff member's notice of a new job."""
    body = (f"新派工单 {job['serial']}，地址：{job['address']}，预约时间："
            f"{local_time(job['window_start'])} 至 {local_time(job['window_end'])}。")
    if job.get("note"):
        body += f"备注：{job['note']}"
    return {"staff_id": job["staff_id"], "title": f"新派工单 {job['serial']}", "body": body,
            "ref_type": "ticket", "ref_id": job["ticket_id"]}


def breached_notices(breach: dict) -> list[dict]:
    """ticket_sla_breached: each supervisor (or manager) it was escalated to."""
    kind = KIND_NAMES.get(breach["kind"], breach["kind"])
    target = TARGET_NAMES.get(breach["target"], breach["target"])
    serial = breach["serial"]
    body = (f"{kind}工单 {serial} 的{target}时限 {local_time(breach['due_at'])} 已过，"
            f"已升级给你。当前处理：{_handler(breach['group_name'], breach['assignee_id'])}。")
    return _for_each(breach["notify_staff_ids"], f"工单超时 {serial}", body, breach["ticket_id"])


def reminder_notice(reminder: dict) -> dict:
    """ticket_reminder_due: the staff member's own reminder."""
    body = f"工单 {reminder['serial']} 的提醒（{local_time(reminder['due_at'])}）"
    body += f"：{reminder['note']}" if reminder.get("note") else "。"
    return {"staff_id": reminder["staff_id"], "title": f"工单提醒 {reminder['serial']}",
            "body": body, "ref_type": "ticket", "ref_id": reminder["ticket_id"]}


FOLLOWUP_TITLES = {"followup_created": "回访任务", "followup_due_soon": "回访即将到期",
                   "followup_missed": "回访逾期"}


def followup_notices(event_type: str, task: dict) -> list[dict]:
    """followup_created / _due_soon: the assignee; followup_missed: the supervisors (or
    managers) it was escalated to.  The notice opens the ticket followed up."""
    serial, due = task["ticket_serial"], local_time(task["due_at"])
    if event_type == "followup_created":
        body = f"工单 {serial} 需要回访，请在 {due} 前完成。"
    elif event_type == "followup_due_soon":
        body = f"工单 {serial} 的回访将于 {due} 到期。"
    else:
        body = (f"工单 {serial} 的回访已于 {due} 逾期未做，已升级给你。"
                f"当前负责人：{task.get('assignee_id') or '未指定'}。")
    return _for_each(task["notify_staff_ids"], f"{FOLLOWUP_TITLES[event_type]} {serial}",
                     body, task["ticket_id"])
