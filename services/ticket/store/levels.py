"""SQL of what the ticket service knows of each customer's confidentiality level (C4,
issue 9 finding 7): the customer service's word, newest kept (migration 0010)."""


def learn(cur, customer_id: str, level: int, declassify_at, declassify_to: int | None,
          as_of) -> bool:
    """Keep the customer's level as said at `as_of`, unless what is kept was said later
    (a late or repeated event changes nothing); True when it was kept."""
    cur.execute(
        "INSERT INTO customer_level AS l (customer_id, level, declassify_at, declassify_to,"
        " as_of) VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (customer_id) DO UPDATE SET level = excluded.level,"
        " declassify_at = excluded.declassify_at, declassify_to = excluded.declassify_to,"
        " as_of = excluded.as_of, updated_at = now() WHERE l.as_of <= excluded.as_of",
        (customer_id, level, declassify_at, declassify_to, as_of),
    )
    return cur.rowcount == 1
