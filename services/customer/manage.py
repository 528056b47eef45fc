"""Operator commands of the customer service (python -m services.manage customer <command>)."""
import os
import sys

import psycopg2

from services.customer.handlers.access import verify


def verify_access_log() -> int:
    """verify-access-log: check the borrowing log's hash chain (S4) as the database
    owner (KEFU_CUSTOMER_OWNER_DB_URI) and name the first broken row.  Exit status 0
    when intact, 1 when broken, 2 when the database is not configured."""
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


COMMANDS = {"verify-access-log": verify_access_log}
