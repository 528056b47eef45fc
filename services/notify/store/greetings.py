"""All SQL of holiday greetings."""
from psycopg2.extras import Json

# greeting_row (migration 0003): a greeting as answered, the id as text (`greeting_id`).


def insert(cur, g: dict) -> dict:
    cur.execute(
        "INSERT INTO greeting (holiday, template_id, segment, params, send_at, active,"
        " created_by) VALUES (%s, %s, %s, %s, coalesce(%s, '10:00'::time), %s, %s)"
        " RETURNING id::text",
        (g["holiday"], g["template_id"], Json(g["segment"]), Json(g["params"]), g["send_at"],
         g["active"], g["created_by"]))
    return get(cur, cur.fetchone()["id"])


def get(cur, greeting_id: str) -> dict:
    cur.execute("SELECT * FROM greeting_row WHERE id = %s", (greeting_id,))
    return _row(cur.fetchone())


def listing(cur, active_only: bool = False) -> list[dict]:
    cur.execute("SELECT * FROM greeting_row WHERE active OR NOT %s ORDER BY created_at",
                (active_only,))
    return [_row(r) for r in cur.fetchall()]


def _row(row: dict) -> dict:
    out = dict(row)
    out["id"] = out.pop("greeting_id")
    return out
