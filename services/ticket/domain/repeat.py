"""Repeat detection (T3) rules, free of I/O.

A new ticket repeats the customer's earlier tickets of the same kind accepted within
the kind's window that either are of the same category (both without one counts as
the same) or whose content is at least `threshold` similar (pg_trgm similarity).

The window is inclusive at its far edge: with a 7-day window, a ticket accepted
exactly 7 days (to the microsecond) before the new one counts; one second more does
not.  A window of 0 days turns detection off for the kind.
"""
import datetime

DEFAULT_WINDOW_DAYS = 7
DEFAULT_THRESHOLD = 0.5
MAX_REPEATS = 5  # repeat_of keeps the most recent few, newest first


def rule(kind: str, stored: dict | None) -> dict:
    """The kind's rule: the admin's if set, else the defaults."""
    if stored:
        return {"kind": kind, "window_days": stored["window_days"],
                "threshold": stored["threshold"]}
    return {"kind": kind, "window_days": DEFAULT_WINDOW_DAYS, "threshold": DEFAULT_THRESHOLD}


def window_start(accepted_at: datetime.datetime, window_days: int) -> datetime.datetime:
    """The earliest accepted_at that still counts (inclusive)."""
    return accepted_at - datetime.timedelta(days=window_days)


def enabled(rule_: dict) -> bool:
    return rule_["window_days"] > 0
