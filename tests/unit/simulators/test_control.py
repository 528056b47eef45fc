"""The /_sim API and the HTTP side's guards: body cap, malformed input, config checks,
reset, loopback only, credentials files, masked phone numbers in logs."""
import http.client
import json
import logging
import socket
import stat
import subprocess
import sys

import pytest

from simulators import phones, secrets, start
from tests.unit.simulators.client import aliyun, call, get, post

SMS = {"PhoneNumbers": "13800138000", "SignName": "客服", "TemplateCode": "SMS_1", "OutId": "m"}


def raw(sim, method, path, body=b"", headers=None):
    host, port = sim.url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request(method, path, body, headers or {})
    answer = conn.getresponse()
    status, data = answer.status, answer.read()
    conn.close()
    return status, json.loads(data)


def test_a_body_over_one_megabyte_is_413_and_the_simulator_goes_on(sim):
    status, body = raw(sim, "POST", "/_sim/config", b"x" * (1024 * 1024 + 1))
    assert status == 413 and body["error"] == "too_large"
    assert raw(sim, "POST", "/_sim/config", json.dumps({"qps": 7}).encode())[1]["qps"] == 7


def test_a_chunked_body_over_the_cap_is_413_too(sim):
    chunks = (b"x" * 65536 for _ in range(17))
    host, port = sim.url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("POST", "/_sim/config", chunks, encode_chunked=True)
    assert conn.getresponse().status == 413


def exchange(sim, request: bytes) -> bytes:
    """The simulator's answer to raw request bytes, the connection left open (an answer
    that waits for the client to close never comes: socket timeout)."""
    host, port = sim.url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += conn.recv(4096)
    return answer


def test_a_negative_chunk_size_is_a_400_not_a_read_to_the_end(sim):
    answer = exchange(sim, b"POST /_sim/config HTTP/1.1\r\nHost: sim\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\n-1\r\n")
    assert answer.startswith(b"HTTP/1.1 400 ")


def test_numbers_in_other_digits_are_a_400_not_an_error(sim):
    answer = exchange(sim, b"POST /_sim/config HTTP/1.1\r\nHost: sim\r\n"
                           b"Content-Length: \xb2\r\n\r\n{}")
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert call(sim.url + "/_sim/sms?limit=%C2%B2")[0] == 400


def test_malformed_input_is_a_400_json_answer(sim):
    assert raw(sim, "POST", "/_sim/config", b"{not json")[0] == 400
    assert raw(sim, "POST", "/_sim/uplink", b"[1]")[0] == 400
    assert raw(sim, "POST", "/hooks/x", b"\xff\xfe", {"Content-Length": "x"})[0] == 400
    status, body = raw(sim, "POST", "/aliyun/", b"\xff=\xfe")
    assert status == 400 and body["Code"] == "MissingParameter"
    assert raw(sim, "GET", "/nowhere")[0] == 404
    assert raw(sim, "GET", "/aliyun/")[0] == 405
    assert get(sim, "/_sim/stats")["accepted"] == 0


@pytest.mark.parametrize("change", [{"qps": 0}, {"fail_share": 1.5}, {"fail_next": -1},
                                    {"undelivered_share": "x"},
                                    {"blacklist": ["123"]}, {"receipt_delay_ms": -1},
                                    {"hook_fail": {"a": -1}}, {"color": "red"}])
def test_a_bad_config_is_refused_and_changes_nothing(sim, change):
    before = get(sim, "/_sim/config")
    assert post(sim, "/_sim/config", change)[0] == 400
    assert get(sim, "/_sim/config") == before


def test_the_config_starts_at_the_documented_defaults(sim):
    assert get(sim, "/_sim/config") == {
        "qps": 500, "fail_share": 0.0, "fail_next": 0, "undelivered_share": 0.0,
        "receipt_delay_ms": 500, "answer_delay_ms": 0, "blacklist": [], "hook_fail": {}}


def test_reset_forgets_everything_but_the_credentials(sim):
    post(sim, "/_sim/config", {"qps": 1, "blacklist": ["13900139000"], "hook_fail": {"h": 3}})
    post(sim, "/_sim/robots/register", {"platform": "dingtalk", "token": "t", "secret": "s"})
    assert aliyun(sim, "SendSms", **SMS)[1]["Code"] == "OK"
    post(sim, "/dingtalk/robot/send?access_token=u", {"msgtype": "text", "text": {"content": "x"}})
    assert post(sim, "/_sim/reset", {})[0] == 200
    assert get(sim, "/_sim/config")["qps"] == 500 and get(sim, "/_sim/config")["blacklist"] == []
    assert get(sim, "/_sim/sms")["count"] == get(sim, "/_sim/robots")["count"] == 0
    assert set(get(sim, "/_sim/stats").values()) == {0}
    assert aliyun(sim, "SendSms", **SMS)[1]["Code"] == "OK"   # same credentials, fresh window
    post(sim, "/dingtalk/robot/send?access_token=t",
         {"msgtype": "text", "text": {"content": "x"}})
    assert get(sim, "/_sim/robots")["messages"][0]["signed"] is False  # secret forgotten


def test_sms_listing_filters_and_limits(sim):
    for out in ("a", "b", "c"):
        aliyun(sim, "SendSms", **dict(SMS, OutId=out))
    aliyun(sim, "SendSms", **dict(SMS, PhoneNumbers="13900139000", OutId="d"))
    assert [m["out_id"] for m in get(sim, "/_sim/sms?phone=13800138000")["messages"]] == \
        ["a", "b", "c"]
    latest = get(sim, "/_sim/sms?limit=2")
    assert [m["out_id"] for m in latest["messages"]] == ["c", "d"] and latest["count"] == 4
    assert get(sim, "/_sim/sms?provider=tencent")["count"] == 0


def test_only_loopback_addresses_are_bound(tmp_path):
    with pytest.raises(ValueError, match="loopback"):
        start(http="0.0.0.0:0", smtp=None, secrets_dir=tmp_path / "s", maildir=tmp_path / "m",
              in_process=True)
    command = [sys.executable, "-m", "simulators", "--http", "127.0.0.1:0", "--smtp",
               "0.0.0.0:0", "--secrets", str(tmp_path / "s"), "--maildir", str(tmp_path / "m")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "loopback" in done.stderr


def test_credentials_are_made_private_once_and_kept(tmp_path):
    folder = tmp_path / "secrets"
    first = secrets.load(folder)
    for name in ("sms-aliyun.json", "sms-tencent.json", "webhook-signing"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    (folder / "webhook-signing").chmod(0o644)
    assert secrets.load(folder) == first
    assert stat.S_IMODE((folder / "webhook-signing").stat().st_mode) == 0o600
    assert first["aliyun"]["access_key_secret"] != first["tencent"]["secret_key"]
    (folder / "sms-tencent.json").write_text(json.dumps({"secret_id": "x"}))
    with pytest.raises(ValueError, match="secret_key"):
        secrets.load(folder)


def test_in_process_the_log_masks_phone_numbers(tmp_path, caplog):
    sim = start(smtp=None, secrets_dir=tmp_path / "s", maildir=tmp_path / "m", in_process=True)
    try:
        with caplog.at_level(logging.INFO, logger="simulators"):
            assert call(sim.url + "/_sim/sms?phone=%2B8613800138000")[0] == 200
            aliyun(sim, "SendSms", **SMS)
    finally:
        sim.stop()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "138****8000" in text and "13800138000" not in text


def test_mask_hides_the_middle_of_every_mobile():
    assert phones.mask("to +8613800138000 and 13900139000, not 123456789012") == \
        "to 138****8000 and 139****9000, not 123456789012"


def test_the_command_line_defaults_come_from_the_env(monkeypatch):
    from pathlib import Path

    from simulators.__main__ import _defaults
    monkeypatch.setenv("KEFU_PROVIDERS_URL", "http://127.0.0.1:8990")
    monkeypatch.setenv("KEFU_SMTP_ADDRESS", "127.0.0.1:2625")
    monkeypatch.setenv("KEFU_CALLBACK_BASE", "http://127.0.0.1:8800")
    monkeypatch.setenv("KEFU_VAR", "/srv/kefu/var")
    monkeypatch.setenv("KEFU_ENV", "test")
    monkeypatch.delenv("KEFU_MAILDIR", raising=False)
    assert _defaults() == {"http": "127.0.0.1:8990", "smtp": "127.0.0.1:2625",
                           "callback_base": "http://127.0.0.1:8800",
                           "secrets": Path("/srv/kefu/var/secrets"),
                           "maildir": Path("/srv/kefu/var/mail/test")}


def test_a_slow_provider_keeps_the_message_before_it_answers(sim):
    """answer_delay_ms: the fault tier's slow provider — taken at once, answered later."""
    import threading
    import time

    assert post(sim, "/_sim/config", {"answer_delay_ms": -1})[0] == 400
    assert post(sim, "/_sim/config", {"answer_delay_ms": 1500})[0] == 200
    answered = {}

    def send():
        answered["reply"] = aliyun(sim, "SendSms", PhoneNumbers="13800138123",
                                   SignName="客服", TemplateCode="SMS_1", OutId="slow-1")
        answered["at"] = time.monotonic()

    started = time.monotonic()
    worker = threading.Thread(target=send)
    worker.start()
    kept = None
    while kept is None and time.monotonic() - started < 1.2:
        found = get(sim, "/_sim/sms?out_id=slow-1")["messages"]
        kept = (time.monotonic() - started) if found else None
        time.sleep(0.05)
    worker.join(10)
    assert kept is not None and kept < 1.2          # kept while the answer waited
    assert answered["reply"][0] == 200 and answered["at"] - started >= 1.4
