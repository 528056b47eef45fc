"""SQL of customer records: the card, the archive, phones, emails, assets, history."""
import datetime
import json

from psycopg2.extras import Json, execute_values

CARD = (
    "c.id::text, c.number, c.kind, c.name, c.level,"
    " effective_level(c.level, c.declassify_at, c.declassify_to) AS effective_level,"
    " c.declassify_at, c.declassify_to, c.grade, c.lifecycle, c.credit_class, c.region, c.tags,"
    " c.owner_id, c.owner_group, c.last_contact_at, c.reviewed_at, c.created_at, c.updated_at,"
    " c.version, c.destroyed_at, c.merged_into::text"
)


# The card with its phones and assets in one round trip (the screen pop's hot path).
CARD_FULL = (
    CARD + ","  # noqa: S608 — constant text
    " coalesce((SELECT json_agg(json_build_object('e164', p.e164, 'ext', p.ext)"
    " ORDER BY p.position) FROM customer_phone p WHERE p.customer_id = c.id), '[]') AS phones,"
    " coalesce((SELECT json_agg(json_build_object('id', a.id, 'kind', a.kind, 'product', a.product,"
    " 'model', a.model, 'serial', a.serial, 'plate', a.plate, 'purchased_on', a.purchased_on,"
    " 'warranty_end', a.warranty_end, 'last_visit_on', (SELECT max(v.visited_on)"
    "  FROM customer_visit v WHERE v.asset_id = a.id)) ORDER BY a.seq) FROM customer_asset a"
    " WHERE a.customer_id = c.id), '[]') AS assets"
)


def next_number(cur) -> int:
    cur.execute("SELECT nextval('customer_number_seq') AS n")
    return cur.fetchone()["n"]


def insert_customer(cur, number: str, kind: str, fields: dict, owner_id: str | None,
                    owner_group: str | None) -> str:
    """`fields` with the name's search keys (name_pinyin, name_initials)."""
    cur.execute(
        "INSERT INTO customer (number, kind, name, name_pinyin, name_initials, region, tags,"
        " grade, lifecycle, credit_class, owner_id, owner_group, created_by)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id::text",
        (number, kind, fields["name"], fields["name_pinyin"], fields["name_initials"],
         fields.get("region", ""),
         fields.get("tags", []), fields.get("grade", "normal"), fields.get("lifecycle", "normal"),
         fields.get("credit_class"), owner_id, owner_group, owner_id),
    )
    return cur.fetchone()["id"]


def insert_archive(cur, customer_id: str, archive: dict) -> None:
    cur.execute(
        "INSERT INTO customer_archive (customer_id, profile, credit, key_people, addresses, notes,"
        " custom) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (customer_id, Json(archive.get("profile", {})), Json(archive.get("credit", {})),
         Json(archive.get("key_people", [])), Json(archive.get("addresses", [])),
         archive.get("notes", ""), Json(archive.get("custom", {}))),
    )


def replace_phones(cur, customer_id: str, phones: list[dict]) -> None:
    cur.execute("DELETE FROM customer_phone WHERE customer_id = %s", (customer_id,))
    if phones:
        execute_values(cur, "INSERT INTO customer_phone (customer_id, e164, ext, position) VALUES %s",
                       [(customer_id, p["e164"], p.get("ext") or "", i)
                        for i, p in enumerate(phones)])


def replace_emails(cur, customer_id: str, emails: list[str]) -> None:
    cur.execute("DELETE FROM customer_email WHERE customer_id = %s", (customer_id,))
    if emails:
        execute_values(cur, "INSERT INTO customer_email (customer_id, email, position) VALUES %s",
                       [(customer_id, e, i) for i, e in enumerate(emails)])


def insert_assets(cur, customer_id: str, assets: list[dict]) -> None:
    if assets:
        execute_values(
            cur,
            "INSERT INTO customer_asset (customer_id, kind, product, model, serial, plate,"
            " purchased_on, warranty_end) VALUES %s",
            [(customer_id, a["kind"], a["product"], a.get("model", ""), a.get("serial"),
              a.get("plate"), a.get("purchased_on"), a.get("warranty_end")) for a in assets])


def card(cur, customer_id: str, for_update: bool = False) -> dict | None:
    """The card row with its effective level (computed by the database clock)."""
    lock = " FOR UPDATE OF c" if for_update else ""
    cur.execute("SELECT " + CARD + " FROM customer c WHERE c.id = %s" + lock, (customer_id,))  # noqa: S608 — constant text
    return cur.fetchone()


def phones_of(cur, customer_ids: list[str]) -> dict[str, list[dict]]:
    cur.execute(
        "SELECT customer_id::text, e164, ext FROM customer_phone"
        " WHERE customer_id = ANY(%s::uuid[]) ORDER BY customer_id, position",
        (customer_ids,),
    )
    out: dict[str, list[dict]] = {cid: [] for cid in customer_ids}
    for row in cur.fetchall():
        out[row["customer_id"]].append(row)
    return out


def emails_of(cur, customer_id: str) -> list[str]:
    cur.execute("SELECT email FROM customer_email WHERE customer_id = %s ORDER BY position",
                (customer_id,))
    return [r["email"] for r in cur.fetchall()]


def card_full(cur, customer_id: str) -> dict | None:
    """The card row with `phones` and `assets` lists (dates as ISO strings)."""
    cur.execute("SELECT " + CARD_FULL + " FROM customer c WHERE c.id = %s", (customer_id,))  # noqa: S608 — constant text
    row = cur.fetchone()
    return None if row is None else _dated(row)


def cards_full(cur, ids: list[str]) -> list[dict]:
    cur.execute("SELECT " + CARD_FULL + " FROM customer c WHERE c.id = ANY(%s::uuid[])", (ids,))  # noqa: S608 — constant text
    return [_dated(r) for r in cur.fetchall()]


def _dated(row: dict) -> dict:
    """Asset dates, which JSON carried as text, as dates again."""
    for asset in row["assets"]:
        for key in ("purchased_on", "warranty_end", "last_visit_on"):
            if asset.get(key):
                asset[key] = datetime.date.fromisoformat(asset[key])
    return row


def archive_with_emails(cur, customer_id: str) -> dict | None:
    """The archive row and its emails, or None when row-level security hides it."""
    cur.execute(
        "SELECT profile, credit, key_people, addresses, notes, custom,"
        " ARRAY(SELECT e.email FROM customer_email e WHERE e.customer_id = a.customer_id"
        " ORDER BY e.position) AS emails FROM customer_archive a WHERE a.customer_id = %s",
        (customer_id,),
    )
    return cur.fetchone()


def archive_of(cur, customer_id: str) -> dict | None:
    """The archive row, or None when row-level security hides it (or there is none)."""
    cur.execute(
        "SELECT profile, credit, key_people, addresses, notes, custom FROM customer_archive"
        " WHERE customer_id = %s",
        (customer_id,),
    )
    return cur.fetchone()


def find_ids(cur, key: str, value: str | None, limit: int = 20) -> list[str]:
    """Live (not destroyed, not merged away) customers matching one lookup key."""
    queries = {
        "phone": "SELECT DISTINCT p.customer_id FROM customer_phone p WHERE p.e164 = %s",
        "email": "SELECT DISTINCT e.customer_id FROM customer_email e WHERE e.email = %s",
        "number": "SELECT c.id AS customer_id FROM customer c WHERE c.number = %s",
        "plate": "SELECT DISTINCT a.customer_id FROM customer_asset a WHERE a.plate = %s",
        "serial": "SELECT DISTINCT a.customer_id FROM customer_asset a WHERE a.serial = %s",
    }
    cur.execute(
        "SELECT c.id::text FROM customer c WHERE c.id IN (" + queries[key] + ")"  # noqa: S608 — constant text
        " AND c.destroyed_at IS NULL AND c.merged_into IS NULL ORDER BY c.created_at LIMIT %s",
        (value, limit),
    )
    return [r["id"] for r in cur.fetchall()]


_CARD_COLUMNS = frozenset({
    "name", "name_pinyin", "name_initials", "region", "tags", "grade", "lifecycle",
    "credit_class", "level", "declassify_at", "declassify_to", "owner_id", "owner_group"})


def update_card(cur, customer_id: str, fields: dict) -> None:
    """Set card columns (only those given; a name with its search keys) and bump the
    version."""
    sets = [k for k in fields if k in _CARD_COLUMNS]
    assignments = ", ".join(f"{k} = %({k})s" for k in sets)
    cur.execute(
        "UPDATE customer SET " + (assignments + ", " if assignments else "")  # noqa: S608 — names from a fixed set
        + "version = version + 1, updated_at = now() WHERE id = %(id)s",
        {**fields, "id": customer_id},
    )


def update_archive(cur, customer_id: str, archive: dict) -> None:
    columns = ("profile", "credit", "key_people", "addresses", "notes", "custom")
    sets = [k for k in columns if k in archive]
    if not sets:
        return
    values = {k: (archive[k] if k == "notes" else Json(archive[k])) for k in sets}
    cur.execute(
        "UPDATE customer_archive SET " + ", ".join(f"{k} = %({k})s" for k in sets)  # noqa: S608 — names from a fixed set
        + " WHERE customer_id = %(id)s",
        {**values, "id": customer_id},
    )


def record_history(cur, customer_id: str, principal, action: str,
                   changes: list[tuple[str, object, object]]) -> None:
    if changes:
        execute_values(
            cur,
            "INSERT INTO customer_history (customer_id, actor_id, actor_name, action, field, old,"
            " new) VALUES %s",
            [(customer_id, principal.id, principal.username, action, f,
              _json(old), _json(new)) for f, old, new in changes])


def _json(value):
    return None if value is None else Json(json.loads(json.dumps(value, default=str)))


def history_of(cur, customer_id: str, limit: int) -> list[dict]:
    cur.execute(
        "SELECT id, at, actor_id, actor_name, action, field, old, new FROM customer_history"
        " WHERE customer_id = %s ORDER BY id DESC LIMIT %s",
        (customer_id, limit),
    )
    return cur.fetchall()


def mark_reviewed(cur, customer_id: str) -> None:
    cur.execute("UPDATE customer SET reviewed_at = now() WHERE id = %s", (customer_id,))


def review_due_ids(cur, months: int, limit: int) -> list[str]:
    cur.execute(
        "SELECT id::text FROM customer WHERE destroyed_at IS NULL AND merged_into IS NULL"
        " AND coalesce(reviewed_at, created_at) < now() - make_interval(months => %s)"
        " ORDER BY coalesce(reviewed_at, created_at) LIMIT %s",
        (months, limit),
    )
    return [r["id"] for r in cur.fetchall()]


def touch_contact(cur, customer_id: str, at) -> None:
    cur.execute(
        "UPDATE customer SET last_contact_at = greatest(coalesce(last_contact_at, %s), %s)"
        " WHERE id = %s AND destroyed_at IS NULL",
        (at, at, customer_id),
    )


def custom_fields(cur) -> list[dict]:
    cur.execute("SELECT key, label, type, choices, required, active FROM custom_field ORDER BY key")
    return cur.fetchall()


def upsert_custom_field(cur, d: dict) -> dict:
    cur.execute(
        "INSERT INTO custom_field (key, label, type, choices, required, active)"
        " VALUES (%(key)s, %(label)s, %(type)s, %(choices)s, %(required)s, %(active)s)"
        " ON CONFLICT (key) DO UPDATE SET label = EXCLUDED.label, type = EXCLUDED.type,"
        " choices = EXCLUDED.choices, required = EXCLUDED.required, active = EXCLUDED.active"
        " RETURNING key, label, type, choices, required, active",
        d,
    )
    return cur.fetchone()


def due_declassifications(cur, limit: int) -> list[dict]:
    """Records whose declassification date has passed, claimed for this worker."""
    cur.execute(
        "SELECT id::text, level, declassify_to, declassify_at FROM customer"
        " WHERE declassify_at IS NOT NULL AND declassify_at <= now()"
        " ORDER BY declassify_at LIMIT %s FOR UPDATE SKIP LOCKED",
        (limit,),
    )
    return cur.fetchall()


def materialise_declassification(cur, customer_id: str, level: int) -> None:
    cur.execute(
        "UPDATE customer SET level = %s, declassify_at = NULL, declassify_to = NULL,"
        " version = version + 1, updated_at = now() WHERE id = %s",
        (level, customer_id),
    )


def contact_rows(cur, customer_ids: list[str]) -> list[dict]:
    """Live customers' name, effective level, first mobile phone (else first phone; E.164)
    and first email."""
    cur.execute(
        "SELECT c.id::text, c.name,"
        " effective_level(c.level, c.declassify_at, c.declassify_to) AS level,"
        " (SELECT p.e164 FROM customer_phone p WHERE p.customer_id = c.id"
        "  ORDER BY p.e164 ~ '^\\+861[3-9][0-9]{9}$' DESC, p.position LIMIT 1) AS phone,"
        " (SELECT e.email FROM customer_email e WHERE e.customer_id = c.id"
        "  ORDER BY e.position LIMIT 1) AS email"
        " FROM customer c WHERE c.id = ANY(%s::uuid[]) AND c.destroyed_at IS NULL"
        " AND c.merged_into IS NULL",
        (customer_ids,),
    )
    return cur.fetchall()
