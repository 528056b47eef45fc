"""SQL of the daily ticket rollup."""


def add_ticket(cur, day, kind: str) -> None:
    cur.execute(
        "INSERT INTO ticket_daily (day, kind, count) VALUES (%s, %s, 1)"
        " ON CONFLICT (day, kind) DO UPDATE SET count = ticket_daily.count + 1",
        (day, kind),
    )


def tickets_daily(cur, from_day, to_day) -> list[dict]:
    cur.execute(
        "SELECT day, kind, count FROM ticket_daily WHERE day BETWEEN %s AND %s"
        " ORDER BY day, kind",
        (from_day, to_day),
    )
    return cur.fetchall()
