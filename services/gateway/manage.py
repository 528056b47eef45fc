"""Operator commands of the gateway (python -m services.manage gateway <command>).

A fresh install gets its first admin from ensure-admin.  Every right above the
ceiling (domain/duties.py) needs a second admin's approval, and there is none
yet: the first admin asks for the second (POST /api/v1/staff, 202), and the
operator, on the host, approves that request with approve-staff-change.  From
then on the two admins approve each other's requests; the operator command stays
for an install that has lost its second admin.  It is audited as the operator's.
"""
import os
import sys
import warnings
from contextlib import contextmanager
from types import SimpleNamespace

import psycopg2
import psycopg2.extras

from services.common.config import service_config
from services.common.errors import KefuError
from services.common.ids import parse_id
from services.gateway.contract import SERVICE
from services.gateway.domain.duties import OPERATOR
from services.gateway.handlers import admin


@contextmanager
def _transaction():
    conn = psycopg2.connect(service_config(SERVICE)["DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    try:
        with conn, conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


def ensure_admin(password_file: str) -> int:
    """ensure-admin PASSWORD_FILE: create the first `admin` account (idempotent); a new
    random password is written to PASSWORD_FILE (mode 0600) and printed once."""
    with _transaction() as cur:
        # One transaction, and no event: the first account is not announced.
        password = admin.ensure_admin(SimpleNamespace(cur=cur))
        if password:  # written before the commit: no account without its password
            _write_secret(password_file, password)
    if password:
        print(f"created account admin; password (shown once, also in {password_file}): "
              f"{password}")
    else:
        print(f"account admin exists; its first password is in {password_file}")
    return 0


def staff_changes() -> int:
    """staff-changes: the staff changes waiting for a second admin, newest first."""
    with _transaction() as cur:
        pending = admin.pending_changes(SimpleNamespace(cur=cur))
    for change in pending:
        print(f"{change['id']}  {change['requested_at']:%Y-%m-%d %H:%M}  {change['kind']} "
              f"{change['username']}: {', '.join(change['grants'])} "
              f"(asked by {change['requested_by_name']})")
    print(f"{len(pending)} pending")
    return 0


def approve_staff_change(change_id: str) -> int:
    """approve-staff-change CHANGE_ID: approve a pending staff change as the operator
    (e.g. the first admin's request for a second admin) and apply it."""
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    from services.common.db import Tx  # the unit of work that emits: eventlet, not patched

    try:
        with _transaction() as cur:
            change = admin.approve_change(Tx(cur, OPERATOR.id),
                                          parse_id(change_id, "staff change"))
    except KefuError as exc:  # not found, decided, expired, the account changed since
        print(f"not approved: {exc.message}", file=sys.stderr)
        return 1
    print(f"approved {change['id']}: {change['kind']} {change['username']} "
          f"({', '.join(change['grants'])})")
    return 0


def _write_secret(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")


COMMANDS = {"ensure-admin": ensure_admin, "staff-changes": staff_changes,
            "approve-staff-change": approve_staff_change}
