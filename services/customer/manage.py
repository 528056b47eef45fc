"""Operator commands of the customer service (python -m services.manage customer <command>)."""
import datetime
import json
import os
import re
import sys

import psycopg2
import psycopg2.extras

from services.customer.handlers.access import log_head, verify

USAGE = "usage: verify-access-log [--anchor FILE]"


def verify_access_log(*args: str) -> int:
    """verify-access-log [--anchor FILE]: check the borrowing log's hash chain (S4) as
    the database owner (KEFU_CUSTOMER_OWNER_DB_URI), every digest recomputed here; name
    the first broken row; print the head (seq, hash).

    With --anchor FILE (issue 9, finding 11c): the log must still pass through the head
    FILE holds (exported by an earlier run), so a tail the owner rewrote consistently is
    caught; when the log is intact the current head is written to FILE (mode 0600).
    Keep copies of FILE where the database's owner cannot reach them (another host, the
    operator's records): an anchor only the tamperer holds proves nothing.

    Exit status 0 when intact, 1 when broken (a broken check leaves FILE as it was), 2
    when the database is not configured or FILE cannot be read."""
    if args and (len(args) != 2 or args[0] != "--anchor"):
        print(USAGE, file=sys.stderr)
        return 2
    path = args[1] if args else None
    dsn = os.environ.get("KEFU_CUSTOMER_OWNER_DB_URI")
    if not dsn:
        print("KEFU_CUSTOMER_OWNER_DB_URI is not set (source deploy/local/env.sh)", file=sys.stderr)
        return 2
    try:
        anchor = _read_anchor(path) if path else None
    except ValueError as exc:
        print(f"anchor {path}: {exc}", file=sys.stderr)
        return 2
    conn = psycopg2.connect(dsn, cursor_factory=psycopg2.extras.RealDictCursor)
    try:
        conn.set_session(readonly=True, isolation_level="REPEATABLE READ")
        ok, message, _ = verify(conn, anchor)
        head = log_head(conn)  # the same snapshot as the walk
    finally:
        conn.close()
    print(message)
    print(f"head seq={head['seq']} hash={head['hash']}")
    if ok and path:
        _write_anchor(path, head)
        print(f"anchor written to {path}"
              + (f" (the log passed through seq={anchor['seq']})" if anchor else ""))
    return 0 if ok else 1


def _read_anchor(path: str) -> dict | None:
    """{seq, hash} from an anchor file; None when there is none yet."""
    try:
        with open(path, encoding="utf-8") as f:
            saved = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not readable ({exc})") from exc
    if not (isinstance(saved, dict) and isinstance(saved.get("seq"), int) and saved["seq"] >= 0
            and isinstance(saved.get("hash"), str)
            and re.fullmatch(r"[0-9a-f]{64}", saved["hash"])):
        raise ValueError("not an anchor ({\"seq\": n, \"hash\": 64 hex digits})")
    return {"seq": saved["seq"], "hash": saved["hash"]}


def _write_anchor(path: str, head: dict) -> None:
    """The head, written whole or not at all, readable by its owner only."""
    record = {"seq": head["seq"], "hash": head["hash"],
              "exported_at": datetime.datetime.now(datetime.UTC).isoformat()}
    partial = f"{path}.partial"
    if os.path.lexists(partial):  # a leftover keeps its own mode: start afresh
        os.unlink(partial)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as f:
        json.dump(record, f)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, path)


COMMANDS = {"verify-access-log": verify_access_log}
