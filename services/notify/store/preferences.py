"""All SQL of opt-outs and settings."""
from psycopg2.extras import Json


def opt_outs_of_customer(cur, customer_id: str) -> list[dict]:
    cur.execute(
        "SELECT channel, scope, source, note, created_at FROM opt_out"
        " WHERE customer_id = %s ORDER BY channel, created_at", (customer_id,))
    return cur.fetchall()


def set_opt_out(cur, channel: str, address: str, customer_id: str | None, scope: str,
                source: str, note: str, created_by: str) -> None:
    cur.execute(
        "INSERT INTO opt_out (channel, address, customer_id, scope, source, note, created_by)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (channel, address) DO UPDATE SET scope = CASE"
        "   WHEN opt_out.scope = 'all' OR excluded.scope = 'all' AND excluded.source = 'staff'"
        "   THEN CASE WHEN excluded.source = 'staff' THEN excluded.scope ELSE 'all' END"
        "   ELSE excluded.scope END,"
        " customer_id = coalesce(excluded.customer_id, opt_out.customer_id),"
        " source = excluded.source, note = excluded.note, created_by = excluded.created_by,"
        " created_at = now()",
        (channel, address, customer_id, scope, source, note, created_by))


def clear_opt_out(cur, channel: str, address: str) -> None:
    cur.execute("DELETE FROM opt_out WHERE channel = %s AND address = %s", (channel, address))


def clear_customer_opt_outs(cur, channel: str, customer_id: str) -> None:
    """Opting in again also lifts the opt-outs of the customer's numbers (SMS replies)."""
    cur.execute("DELETE FROM opt_out WHERE channel = %s AND customer_id = %s",
                (channel, customer_id))


def scopes(cur, channel: str, keys: list[str]) -> dict[str, set[str]]:
    """{address or customer:<id>: {scopes}} of the opt-outs among `keys` on a channel."""
    cur.execute("SELECT address, scope FROM opt_out WHERE channel = %s AND address = ANY(%s)",
                (channel, keys))
    out: dict[str, set[str]] = {}
    for row in cur.fetchall():
        out.setdefault(row["address"], set()).add(row["scope"])
    return out


def settings(cur) -> dict:
    cur.execute("SELECT key, value FROM setting")
    return {r["key"]: r["value"] for r in cur.fetchall()}


def update_setting(cur, key: str, value, by: str) -> None:
    cur.execute(
        "INSERT INTO setting (key, value, updated_by) VALUES (%s, %s, %s)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
        " updated_by = excluded.updated_by, updated_at = now()",
        (key, Json(value), by))
