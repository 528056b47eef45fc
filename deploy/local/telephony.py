"""A call center's telephony, simulated: posts call events to the gateway as the
telephony integration does (POST /api/v1/telephony/call-events), so a newcomer can see
the console's live screen pop without a switchboard.

    make call AGENT=<username> CALLER=<number> [IVR="1 售后服务,2 空调维修"]

Signs in as the account `telephony-sim` (role telephony), which it makes the first
time with the admin's password from var/secrets/admin-password (a telephony account
needs no second admin); its own password is kept in
var/secrets/telephony-sim-password (…-test for the test system).
"""
import argparse
import datetime
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ROOT / "var" / "secrets"
SIM = "telephony-sim"


def base() -> str:
    address = os.environ.get("KEFU_HTTP_ADDRESS") or (
        "127.0.0.1:8800" if os.environ.get("KEFU_ENV") == "test" else "127.0.0.1:8000")
    return f"http://{address}"


def ask(method: str, path: str, body=None, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(base() + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def sign_in(username: str, password: str) -> str | None:
    status, answer = ask("POST", "/api/v1/auth/login", {"username": username,
                                                        "password": password})
    return answer.get("token") if status == 200 else None


def telephony_token() -> str:
    suffix = "-test" if os.environ.get("KEFU_ENV") == "test" else ""
    kept = SECRETS / f"{SIM}-password{suffix}"
    if kept.exists():
        token = sign_in(SIM, kept.read_text().strip())
        if token:
            return token
    admin = sign_in("admin", (SECRETS / f"admin-password{suffix}").read_text().strip())
    if not admin:
        sys.exit("cannot sign in as admin to make the telephony account")
    password = secrets.token_urlsafe(18)
    status, answer = ask("POST", "/api/v1/staff", {
        "username": SIM, "display_name": "话务模拟器", "password": password,
        "roles": ["telephony"]}, admin)
    if status != 201:
        sys.exit(f"cannot make {SIM}: {status} {answer}")
    kept.write_text(password)
    kept.chmod(0o600)
    return sign_in(SIM, password) or sys.exit(f"cannot sign in as {SIM}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agent", required=True, help="the agent's username (or staff id)")
    parser.add_argument("--caller", required=True, help="the caller's number as dialled")
    parser.add_argument("--ivr", default="1 售后服务", help="IVR steps, comma-separated")
    parser.add_argument("--queue", default="售后")
    parser.add_argument("--answer-after", type=float, default=0.0,
                        help="seconds until an `answered` event follows (0: none)")
    args = parser.parse_args()
    token = telephony_token()
    call_id = f"sim-{uuid.uuid4().hex[:12]}"
    steps = [s.strip() for s in args.ivr.split(",") if s.strip()]
    events = ["offered"] + (["answered"] if args.answer_after > 0 else [])
    for n, event in enumerate(events):
        if n:
            time.sleep(args.answer_after)
        status, answer = ask("POST", "/api/v1/telephony/call-events", {
            "call_id": call_id, "event": event, "caller": args.caller, "queue": args.queue,
            "agent_id": args.agent, "ivr_path": steps,
            "at": datetime.datetime.now(datetime.UTC).isoformat()}, token)
        print(f"{event}: {call_id} → {args.agent}: HTTP {status} {answer}")
        if status != 200:
            sys.exit(1)


if __name__ == "__main__":
    main()
