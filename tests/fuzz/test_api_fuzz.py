"""S5: a property-based fuzzer against the OpenAPI document of the running system.

Schemathesis (pinned in pyproject.toml) reads /api/v1/openapi.json and sends every
route generated requests — valid ones, and ones that break the schema (wrong types,
missing fields, huge and odd strings) — as three callers: the admin, an agent and a
general manager cleared for top secret (the customer export, seconds per call over the
data the earlier tiers leave, in a short run of its own).  It checks every answer:

    not_a_server_error            no 5xx, whatever came in
    response_schema_conformance   the body is what the document says for that status
    status_code_conformance       the status is one the document lists
    content_type_conformance      the body is the JSON the document announces

The run is seeded from the clock and the seed is printed, so a failure can be
replayed: `schemathesis run ... --seed N`; the whole report is kept in
var/log/test/fuzz-<run>.txt.  Left out of the runs: POST /api/v1/auth/login and PUT
/api/v1/me/password — every wrong password counts against the account and the one
client address of the test machine (the sign-in throttle, S7), so a fuzzer's
thousands would lock the admin and every later test out; their hostile inputs are the
throttle's tests' (tests/integration/gateway/test_sign_in.py) and bench P10's — and
POST /api/v1/auth/logout, which would end the fuzzer's own session.

What the fuzzer found when it first ran (each fixed at its root, with a test here):
the OpenAPI document wrote money bounds as text ("0.00": not a valid document) and
money fields as numbers while the answers carry text ("12.50"); a query longer than
eventlet's 8 KiB request line — a knowledge-base suggestion may be 10,000 characters,
90 KiB of Chinese once encoded — got an empty 414 that is not JSON.  Found beside it:
half of a UTF-16 surrogate pair ("\\ud800" in JSON) reached PostgreSQL and failed there
(500 at the gateway, 502 from a service).
"""
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.system import BASE, Client

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "var" / "log" / "test"
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")

CHECKS = ("not_a_server_error,response_schema_conformance,status_code_conformance,"
          "content_type_conformance")
EXAMPLES = int(os.environ.get("KEFU_FUZZ_EXAMPLES", "8"))


def _member(admin, role: str, clearance: int) -> Client:
    username, password = f"fz{uuid.uuid4().hex[:10]}", "Pw-" + uuid.uuid4().hex
    reply = admin.create_staff({"username": username, "display_name": f"模糊{role}",
                                "password": password, "roles": [role],
                                "clearance": clearance})
    assert reply.status_code == 201, reply.text
    return Client(username, password)


# The export streams every customer the caller may export (the integration tier leaves
# ~100,000) and logs each: seconds per call, so it gets a run of its own with a few
# examples and a longer request timeout; every other route, the whole run.
EXPORT = "/api/v1/customers/export"
RUNS = {
    "admin": ("admin", 1, ["--exclude-path", EXPORT]),
    "agent": ("agent", 1, ["--exclude-path", EXPORT]),
    "general_manager": ("general_manager", 3, ["--exclude-path", EXPORT]),
    "export": ("general_manager", 3, ["--include-path", EXPORT, "--phases", "examples,fuzzing",
                                      "--max-examples", "4", "--request-timeout", "60"]),
}


def fuzz(client: Client, seed: int, narrowing: list[str]) -> subprocess.CompletedProcess:
    client.get("/api/v1/me")  # a fresh access token (SignedInSession refreshes it)
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "schemathesis"), "run", f"{BASE}/api/v1/openapi.json",
         "--checks", CHECKS, "--phases", "examples,coverage,fuzzing",
         "--max-examples", str(EXAMPLES), "--seed", str(seed), "--workers", "2",
         "--generation-database", "none", "--no-color", "--request-timeout", "10",
         "-H", "Authorization: " + client.http.headers["Authorization"],
         "--exclude-path", "/api/v1/auth/logout", "--exclude-path", "/api/v1/auth/login",
         "--exclude-path", "/api/v1/me/password",
         *narrowing],  # later options win over the defaults above
        cwd=ROOT, capture_output=True, text=True, timeout=420,
        env={**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)})


@pytest.mark.timeout(480)
@pytest.mark.parametrize("run_name", sorted(RUNS))
def test_s5_fuzzing_every_route_finds_no_5xx_and_no_schema_violation(admin, run_name):
    role, clearance, narrowing = RUNS[run_name]
    caller = admin if role == "admin" else _member(admin, role, clearance)
    seed = int(time.time())
    run = fuzz(caller, seed, narrowing)
    LOGS.mkdir(parents=True, exist_ok=True)
    (LOGS / f"fuzz-{run_name}.txt").write_text(run.stdout + run.stderr, encoding="utf-8")
    failures = run.stdout[run.stdout.find("=== FAILURES") if "=== FAILURES" in run.stdout
                          else run.stdout.find("=== ERRORS"):][:8000]
    assert run.returncode == 0, (f"schemathesis (seed {seed}) as {role}; whole report in"
                                 f" {LOGS / f'fuzz-{run_name}.txt'}:\n{failures}")
    summary = run.stdout[run.stdout.rfind("Test cases:"):]
    assert " generated, " in summary and " passed" in summary, run.stdout[-3000:]


@pytest.mark.parametrize("path,body,field", [
    ("/api/v1/groups", '{"name": "s5g", "display_name": "\\ud800"}', "display_name"),
    ("/api/v1/kb/categories", '{"name": "\\udfff\\u5ba2"}', "name"),
    ("/api/v1/ticket-categories", '{"name": "\\ud83d", "kind": "consultation"}', "name"),
])
def test_s5_half_a_surrogate_pair_is_a_400_wherever_it_comes(admin, path, body, field):
    """It has no UTF-8 form: the gateway's database failed on it (500), a service's
    (502).  Now a 400 naming the field, and nothing made."""
    reply = admin.http.post(BASE + path, data=body.encode(),
                            headers={"Content-Type": "application/json"}, timeout=10)
    assert reply.status_code == 400, reply.text
    assert "surrogate" in reply.json()["fields"][field][0]


def test_s5_a_long_search_is_answered_and_a_too_long_address_is_a_json_414(admin):
    """A suggestion for 10,000 characters of Chinese (its bound) is 90 KiB once encoded:
    past eventlet's 8 KiB request line it got an empty 414.  Now it is answered; past
    MAX_URL the 414 is JSON like every refusal."""
    long_search = admin.get("/api/v1/kb/suggest", params={"text": "空调不制冷" * 2000})
    assert long_search.status_code == 200, long_search.text
    too_long = admin.get("/api/v1/kb/suggest", params={"text": "x" * 140_000})
    assert too_long.status_code == 414
    assert too_long.json()["error"] == "uri_too_long"
    assert requests.get(BASE + "/healthz", timeout=5).status_code == 200
