"""Who takes a new follow-up task (V1).  No I/O.

Evenly: the active agent of the rule's follow-up group with the fewest open tasks, ties
by username (then id); or the rule's named agent.  Nobody in the group: unassigned
(its supervisors see it in their list)."""


def pick(members: list[dict]) -> str | None:
    """The id of the least busy member ({id, username, open_tasks}); None for none."""
    if not members:
        return None
    return min(members, key=lambda m: (m["open_tasks"], m["username"], m["id"]))["id"]


def notify_ids(supervisors: list[str], managers: list[str]) -> list[str]:
    """Whom a missed task is escalated to: its groups' supervisors, else the managers."""
    return sorted(set(supervisors)) or sorted(set(managers))
