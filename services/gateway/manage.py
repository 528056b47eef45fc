"""Operator commands of the gateway (python -m services.manage gateway <command>)."""
import os
from types import SimpleNamespace

import psycopg2
import psycopg2.extras

from services.common.config import service_config
from services.gateway.contract import SERVICE
from services.gateway.handlers import admin


def ensure_admin(password_file: str) -> int:
    """ensure-admin PASSWORD_FILE: create the first `admin` account (idempotent); a new
    random password is written to PASSWORD_FILE (mode 0600) and printed once."""
    conn = psycopg2.connect(service_config(SERVICE)["DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    try:
        with conn, conn.cursor() as cur:
            # One transaction, and no event: the first account is not announced.
            password = admin.ensure_admin(SimpleNamespace(cur=cur))
            if password:  # written before the commit: no account without its password
                _write_secret(password_file, password)
    finally:
        conn.close()
    if password:
        print(f"created account admin; password (shown once, also in {password_file}): "
              f"{password}")
    else:
        print(f"account admin exists; its first password is in {password_file}")
    return 0


def _write_secret(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")


COMMANDS = {"ensure-admin": ensure_admin}
