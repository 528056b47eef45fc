"""All SQL of the customer service."""


def next_number(cur) -> int:
    cur.execute("SELECT nextval('customer_number_seq') AS n")
    return cur.fetchone()["n"]


def insert_customer(cur, number: str, kind: str, name: str, created_by: str | None) -> dict:
    cur.execute(
        "INSERT INTO customer (number, kind, name, created_by) VALUES (%s, %s, %s, %s)"
        " RETURNING id::text, number, kind, name, created_at",
        (number, kind, name, created_by),
    )
    return cur.fetchone()


def insert_phones(cur, customer_id: str, phones: list[dict]) -> None:
    for position, phone in enumerate(phones):
        cur.execute(
            "INSERT INTO customer_phone (customer_id, e164, ext, position) VALUES (%s, %s, %s, %s)",
            (customer_id, phone["e164"], phone.get("ext") or "", position),
        )


def get_customer(cur, customer_id: str) -> dict | None:
    cur.execute(
        "SELECT id::text, number, kind, name, created_at FROM customer WHERE id = %s",
        (customer_id,),
    )
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


def find_by_phone(cur, e164: str, limit: int = 20) -> list[dict]:
    cur.execute(
        "SELECT DISTINCT c.id::text, c.number, c.kind, c.name, c.created_at"
        " FROM customer_phone p JOIN customer c ON c.id = p.customer_id"
        " WHERE p.e164 = %s ORDER BY c.created_at LIMIT %s",
        (e164, limit),
    )
    return cur.fetchall()
