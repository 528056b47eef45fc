"""All SQL of group robots and outgoing webhooks."""



def save(cur, t: dict) -> dict | None:
    """Insert or (same name and kind) replace; None when the name is another kind's.  A
    replacement without a secret keeps the one saved for the same URL (it is never
    shown, so an edit of the events cannot repeat it)."""
    cur.execute(
        "INSERT INTO target (kind, name, url, secret, events, markdown, active)"
        " VALUES (%(kind)s, %(name)s, %(url)s, %(secret)s, %(events)s, %(markdown)s, %(active)s)"
        " ON CONFLICT (name) DO UPDATE SET url = excluded.url,"
        " secret = CASE WHEN excluded.secret = '' AND excluded.url = target.url"
        "   THEN target.secret ELSE excluded.secret END,"
        " events = excluded.events, markdown = excluded.markdown, active = excluded.active"
        " WHERE target.kind = excluded.kind RETURNING id", t)
    row = cur.fetchone()
    if row is None:
        return None
    cur.execute("SELECT * FROM target_row WHERE id = %s", (row["id"],))
    return _row(cur.fetchone())


def listing(cur) -> list[dict]:
    cur.execute("SELECT * FROM target_row ORDER BY kind, name")
    return [_row(r) for r in cur.fetchall()]


def _row(row: dict) -> dict:
    out = dict(row)
    out["id"] = out.pop("target_id")
    return out


def subscribed(cur, event_type: str) -> list[dict]:
    """Active targets told of an event, with their secrets (for sending only)."""
    cur.execute(
        "SELECT id::text, kind, name, url, secret, markdown FROM target"
        " WHERE active AND %s = ANY(events) ORDER BY name", (event_type,))
    return cur.fetchall()


def secrets(cur, ids: list[str]) -> dict[str, dict]:
    cur.execute("SELECT id::text, url, secret, markdown FROM target WHERE id = ANY(%s::uuid[])",
                (ids,))
    return {r["id"]: r for r in cur.fetchall()}
