"""Verify the borrowing log's hash chain (S4) and name the first broken row.

    python -m services.customer.verify_log          # uses KEFU_CUSTOMER_OWNER_DB_URI
    make verify-access-log

Each row's hash is recomputed from its content and the previous row's hash;
sequence numbers must run without gaps up to the head kept beside the log.
An update, a delete or a reorder of any row breaks the chain at that row.
Exit status 0 when intact, 1 when broken (the message names the row).
"""
import os
import sys

import psycopg2
import psycopg2.extras

GENESIS = "0" * 64


def verify(conn, batch: int = 5000) -> tuple[bool, str, int]:
    """(intact, message, rows checked)."""
    with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute("SELECT seq, hash FROM access_log_head")
        head = cur.fetchone()
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    with conn.cursor("access_log_walk", cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.itersize = batch
        cur.execute("SELECT seq, prev_hash, hash, access_log_digest(l) AS recomputed, action,"
                    " actor_id, customer_id::text FROM access_log l ORDER BY seq")
        for row in cur:
            where = f"row seq={row['seq']} ({row['action']} by {row['actor_id']})"
            if row["seq"] != expected_seq:
                return False, f"row seq={expected_seq} is missing (next present: {where})", checked
            if row["prev_hash"] != prev_hash:
                return False, f"{where}: does not chain to the row before it", checked
            if row["recomputed"] != row["hash"]:
                return False, f"{where}: content does not match its hash", checked
            prev_hash, expected_seq, checked = row["hash"], expected_seq + 1, checked + 1
    if head and head["seq"] != expected_seq - 1:
        return False, (f"row seq={expected_seq} is missing: the log ends at seq={expected_seq - 1}"
                       f" but its head says seq={head['seq']}"), checked
    if head and head["hash"] != prev_hash:  # the last row was rewritten, hash and all
        return False, (f"row seq={expected_seq - 1}: does not match the head of the log"
                       " (changed after it was written)"), checked
    return True, f"access log intact: {checked} rows", checked


def main() -> int:
    dsn = os.environ.get("KEFU_CUSTOMER_OWNER_DB_URI")
    if not dsn:
        print("KEFU_CUSTOMER_OWNER_DB_URI is not set (source deploy/local/env.sh)", file=sys.stderr)
        return 2
    conn = psycopg2.connect(dsn)
    try:
        conn.set_session(readonly=True, isolation_level="REPEATABLE READ")
        ok, message, _ = verify(conn)
    finally:
        conn.close()
    print(message)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
