"""SQL of the daily report (R3): the day claimed once."""


def claim(cur, day) -> bool:
    """True when this transaction is the one reporting the day (its row is new)."""
    cur.execute("INSERT INTO daily_report (day) VALUES (%s) ON CONFLICT (day) DO NOTHING"
                " RETURNING day", (day,))
    return cur.fetchone() is not None
