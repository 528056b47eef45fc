"""Notification rules, free of I/O."""

KIND_NAMES = {
    "consultation": "咨询", "after_sales": "售后", "complaint": "投诉", "suggestion": "建议",
}


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
