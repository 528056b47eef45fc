"""All SQL of the ticket service."""



def now(cur):
    cur.execute("SELECT now() AS now")
    return cur.fetchone()["now"]


def next_serial_number(cur, prefix: str, day) -> int:
    cur.execute(
        "INSERT INTO serial_counter (prefix, day, last) VALUES (%s, %s, 1)"
        " ON CONFLICT (prefix, day) DO UPDATE SET last = serial_counter.last + 1"
        " RETURNING last",
        (prefix, day),
    )
    return cur.fetchone()["last"]


def insert_ticket(cur, serial: str, data: dict, acceptor_id: str, accepted_at) -> dict:
    cur.execute(
        "INSERT INTO ticket AS t (serial, kind, customer_id, content, channel, urgency,"
        " acceptor_id, accepted_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " RETURNING t.id::text, t.serial, t.kind, t.customer_id::text, t.content, t.channel, t.urgency, t.status, t.acceptor_id, t.accepted_at",
        (serial, data["kind"], str(data["customer_id"]), data["content"], data["channel"],
         data["urgency"], acceptor_id, accepted_at),
    )
    return cur.fetchone()


def ticket_for_request(cur, key: str) -> dict | None:
    cur.execute(
        "SELECT t.id::text, t.serial, t.kind, t.customer_id::text, t.content, t.channel, t.urgency, t.status, t.acceptor_id, t.accepted_at FROM ticket_request r JOIN ticket t ON t.id = r.ticket_id"
        " WHERE r.key = %s",
        (key,),
    )
    return cur.fetchone()


def remember_request(cur, key: str, ticket_id: str) -> None:
    cur.execute("INSERT INTO ticket_request (key, ticket_id) VALUES (%s, %s)", (key, ticket_id))


def tickets_of_customer(cur, customer_id: str, limit: int) -> list[dict]:
    cur.execute(
        "SELECT t.id::text, t.serial, t.kind, t.customer_id::text, t.content, t.channel, t.urgency, t.status, t.acceptor_id, t.accepted_at FROM ticket t WHERE t.customer_id = %s"
        " ORDER BY t.accepted_at DESC LIMIT %s",
        (customer_id, limit),
    )
    return cur.fetchall()
