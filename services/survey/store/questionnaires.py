"""All SQL of questionnaires (migration 0002): versions, drafts, publishing."""
from typing import Any

from psycopg2.extras import Json

# One literal: no query text is built from anything but constants (values are bound).
_SELECT = ("SELECT id::text AS id, name, version, status, title, description, questions,"
           " created_by, created_at, updated_at, published_by, published_at"
           " FROM questionnaire")


def lock_name(cur, name: str) -> None:
    """Serialise saves of one name (versions numbered without gaps or clashes)."""
    cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"questionnaire/{name}",))


def get(cur, questionnaire_id: str, lock: bool = False) -> Any:
    cur.execute(_SELECT + " WHERE id = %s" + (" FOR UPDATE" if lock else ""),
                (questionnaire_id,))
    return cur.fetchone()


def newest(cur, name: str) -> Any:
    cur.execute(_SELECT + " WHERE name = %s ORDER BY version DESC LIMIT 1", (name,))
    return cur.fetchone()


def newest_published(cur, name: str) -> Any:
    cur.execute(_SELECT + " WHERE name = %s AND status = 'published'"
                " ORDER BY version DESC LIMIT 1", (name,))
    return cur.fetchone()


def insert_draft(cur, q: dict, created_by: str) -> Any:
    """The next version of `name` as a draft (the first is 1)."""
    cur.execute(
        "INSERT INTO questionnaire (name, version, title, description, questions, created_by)"
        " SELECT %(name)s, coalesce(max(version), 0) + 1, %(title)s, %(description)s,"
        " %(questions)s, %(created_by)s FROM questionnaire WHERE name = %(name)s"
        " RETURNING id::text",
        {**q, "questions": Json(q["questions"]), "created_by": created_by})
    return get(cur, cur.fetchone()["id"])


def update_draft(cur, questionnaire_id: str, q: dict) -> Any:
    """Replace a draft's content; a published row is left alone (None)."""
    cur.execute(
        "UPDATE questionnaire SET title = %(title)s, description = %(description)s,"
        " questions = %(questions)s, updated_at = now()"
        " WHERE id = %(id)s AND status = 'draft' RETURNING id::text",
        {**q, "questions": Json(q["questions"]), "id": questionnaire_id})
    row = cur.fetchone()
    return get(cur, row["id"]) if row else None


def publish(cur, questionnaire_id: str, by: str) -> Any:
    cur.execute(
        "UPDATE questionnaire SET status = 'published', published_by = %s,"
        " published_at = now(), updated_at = now()"
        " WHERE id = %s AND status = 'draft' RETURNING id::text", (by, questionnaire_id))
    row = cur.fetchone()
    return get(cur, row["id"]) if row else None


def listing(cur, name: str | None, status: str | None, all_versions: bool) -> list:
    cur.execute(
        "SELECT id::text AS id, name, version, status, title, description, questions,"
        " created_by, created_at, updated_at, published_by, published_at"
        " FROM questionnaire q WHERE (%(name)s::text IS NULL OR name = %(name)s)"
        " AND (%(status)s::text IS NULL OR status = %(status)s)"
        " AND (%(all)s OR version = (SELECT max(version) FROM questionnaire r"
        "      WHERE r.name = q.name AND (%(status)s::text IS NULL OR r.status = %(status)s)))"
        " ORDER BY name, version DESC LIMIT 500",
        {"name": name, "status": status, "all": all_versions})
    return cur.fetchall()
