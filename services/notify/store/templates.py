"""All SQL of templates."""
from typing import Any

# template_row (migration 0003): the columns answered, the id as text (`template_id`).


def insert_version(cur, t: dict, created_by: str) -> dict:
    """The next version of (name, channel, locale); the first is 1.  Two saves at once
    cannot take the same number (the unique key; the loser's transaction fails)."""
    cur.execute(
        "INSERT INTO template (name, channel, locale, version, purpose, quiet_hours, subject,"
        " body, variables, provider_code, sign_name, note, created_by)"
        " SELECT %(name)s, %(channel)s, %(locale)s, coalesce(max(version), 0) + 1, %(purpose)s,"
        " %(quiet_hours)s, %(subject)s, %(body)s, %(variables)s, %(provider_code)s,"
        " %(sign_name)s, %(note)s, %(created_by)s"
        " FROM template WHERE name = %(name)s AND channel = %(channel)s AND locale = %(locale)s"
        " RETURNING id::text",
        {**t, "created_by": created_by},
    )
    return get(cur, cur.fetchone()["id"])


def lock_name(cur, name: str, channel: str, locale: str) -> None:
    """Serialise saves of one template (versions numbered without gaps or clashes)."""
    cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{name}/{channel}/{locale}",))


def get(cur, template_id: str) -> Any:
    cur.execute("SELECT * FROM template_row WHERE id = %s", (template_id,))
    return _row(cur.fetchone())


def current(cur, name: str, channel: str, locale: str) -> dict | None:
    """The newest version that is not retired."""
    cur.execute(
        "SELECT * FROM template_row"
        " WHERE name = %s AND channel = %s AND locale = %s AND retired_at IS NULL"
        " ORDER BY version DESC LIMIT 1",
        (name, channel, locale),
    )
    return _row(cur.fetchone())


def listing(cur, channel: str | None, name: str | None, all_versions: bool,
            retired: bool) -> list[dict]:
    cur.execute(
        "SELECT * FROM template_row t"
        " WHERE (%(channel)s::text IS NULL OR channel = %(channel)s)"
        " AND (%(name)s::text IS NULL OR name = %(name)s)"
        " AND (%(retired)s OR retired_at IS NULL)"
        " AND (%(all)s OR version = (SELECT max(version) FROM template u WHERE u.name = t.name"
        "      AND u.channel = t.channel AND u.locale = t.locale"
        "      AND (%(retired)s OR u.retired_at IS NULL)))"
        " ORDER BY name, channel, locale, version DESC LIMIT 500",
        {"channel": channel, "name": name, "all": all_versions, "retired": retired},
    )
    return [_row(r) for r in cur.fetchall()]


def retire(cur, template_id: str) -> dict | None:
    cur.execute("UPDATE template SET retired_at = coalesce(retired_at, now()) WHERE id = %s"
                " RETURNING id::text", (template_id,))
    row = cur.fetchone()
    return get(cur, row["id"]) if row else None


def _row(row: Any) -> Any:
    """The view's row with `id` as text."""
    if row is None:
        return None
    out = dict(row)
    out["id"] = out.pop("template_id")
    return out
