"""Create the first `admin` account: `python -m services.gateway.admin PASSWORD_FILE`.

Idempotent: when `admin` exists nothing changes.  A new random password is
written to PASSWORD_FILE (mode 0600) and printed once.
"""
import os
import sys

import psycopg2
import psycopg2.extras

from services.common.config import service_config
from services.gateway import domain, store


def ensure_admin(password_file: str) -> str | None:
    """Returns the new password, or None when the account already existed."""
    config = service_config("gateway")
    conn = psycopg2.connect(config["DB_URI"], cursor_factory=psycopg2.extras.RealDictCursor)
    try:
        with conn, conn.cursor() as cur:
            if store.staff_by_username(cur, "admin"):
                return None
            password = domain.random_password()
            data = {"username": "admin", "display_name": "系统管理员", "roles": ["admin"],
                    "groups": [], "clearance": 0}
            store.insert_staff(cur, data, domain.hash_password(password))
            fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(password + "\n")
            return password
    finally:
        conn.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    new = ensure_admin(sys.argv[1])
    if new:
        print(f"created account admin; password (shown once, also in {sys.argv[1]}): {new}")
    else:
        print(f"account admin exists; its first password is in {sys.argv[1]}")
