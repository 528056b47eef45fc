"""channels_from_config builds the four channels from notify's config and secrets."""
import json

import pytest

from services.common.config import load_config
from services.notify.channels import factory
from services.notify.channels.email import SmtpEmail
from services.notify.channels.robots import RobotWebhook
from services.notify.channels.sms_aliyun import AliyunSms
from services.notify.channels.sms_tencent import TencentSms
from services.notify.channels.webhooks import OutgoingWebhook

ALIYUN = {"access_key_id": "LTAIx", "access_key_secret": "sec", "callback_secret": "cb"}
TENCENT = {"secret_id": "AKIDx", "secret_key": "key", "sdk_app_id": "1400000001",
           "callback_secret": "cb2"}


@pytest.fixture
def secrets(tmp_path):
    (tmp_path / "sms-aliyun.json").write_text(json.dumps(ALIYUN))
    (tmp_path / "sms-tencent.json").write_text(json.dumps(TENCENT))
    (tmp_path / "webhook-signing").write_text("hook-secret\n")
    return tmp_path


def config(secrets, **extra):
    return {"SMS_PROVIDER": "aliyun", "SMS_BASE_URL": "http://127.0.0.1:8990",
            "SECRETS_DIR": str(secrets), "SMTP_ADDRESS": "127.0.0.1:2625",
            "SMTP_STARTTLS": False, "MAIL_FROM": "客服中心 <service@kefu.local>", **extra}


def test_aliyun_and_the_others(secrets):
    channels = factory.channels_from_config(config(secrets))
    sms, email = channels["sms"], channels["email"]
    assert isinstance(sms, AliyunSms) and sms.url == "http://127.0.0.1:8990/aliyun/"
    assert (sms.access_key_id, sms.access_key_secret, sms.callback_secret) == \
        ("LTAIx", "sec", "cb")
    assert isinstance(email, SmtpEmail)
    assert (email.host, email.port, email.starttls) == ("127.0.0.1", 2625, False)
    assert email.envelope_from == "service@kefu.local"
    assert isinstance(channels["robot"], RobotWebhook)
    hook = channels["webhook"]
    assert isinstance(hook, OutgoingWebhook) and hook.secret == "hook-secret"
    assert {name: c.name for name, c in channels.items()} == {
        "sms": "sms", "email": "email", "robot": "robot", "webhook": "webhook"}


def test_tencent(secrets):
    sms = factory.channels_from_config(config(secrets, SMS_PROVIDER="tencent"))["sms"]
    assert isinstance(sms, TencentSms)
    assert (sms.secret_id, sms.sdk_app_id, sms.host) == ("AKIDx", "1400000001",
                                                         "127.0.0.1:8990")


def test_starttls_as_text(secrets):
    email = factory.channels_from_config(config(secrets, SMTP_STARTTLS="true"))["email"]
    assert email.starttls is True


@pytest.mark.parametrize("change,words", [
    ({"SMS_PROVIDER": "twilio"}, "SMS_PROVIDER"), ({"SMS_BASE_URL": ""}, "SMS_BASE_URL"),
    ({"SMTP_ADDRESS": "nohost"}, "SMTP_ADDRESS"), ({"SMTP_ADDRESS": "h:99999"}, "SMTP_ADDRESS")])
def test_bad_settings_are_named(secrets, change, words):
    with pytest.raises(factory.ChannelConfigError, match=words):
        factory.channels_from_config(config(secrets, **change))


def test_missing_or_incomplete_credentials_are_named(secrets):
    (secrets / "sms-aliyun.json").write_text(json.dumps({"access_key_id": "x"}))
    with pytest.raises(factory.ChannelConfigError, match="access_key_secret"):
        factory.channels_from_config(config(secrets))
    (secrets / "sms-aliyun.json").unlink()
    with pytest.raises(factory.ChannelConfigError, match="sms-aliyun.json"):
        factory.channels_from_config(config(secrets))
    (secrets / "webhook-signing").write_text("  \n")
    with pytest.raises(factory.ChannelConfigError, match="webhook-signing"):
        factory.channels_from_config(config(secrets, SMS_PROVIDER="tencent"))


def test_only_the_chosen_providers_file_is_needed(secrets):
    (secrets / "sms-aliyun.json").unlink()
    assert isinstance(factory.channels_from_config(
        config(secrets, SMS_PROVIDER="tencent"))["sms"], TencentSms)


def test_ipv6_smtp_address():
    assert factory.smtp_address("[::1]:2525") == ("::1", 2525)


def test_notify_config_yaml_defaults(monkeypatch):
    for name in ("KEFU_SMS_PROVIDER", "KEFU_PROVIDERS_URL", "KEFU_VAR", "KEFU_SMTP_ADDRESS",
                 "KEFU_SMTP_STARTTLS", "KEFU_MAIL_FROM", "KEFU_SMS_RATE", "KEFU_EMAIL_RATE",
                 "KEFU_SENDING_LEASE_SECONDS", "KEFU_RESOLUTION_SURVEY", "KEFU_PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    loaded = load_config(factory.ROOT / "services" / "notify" / "config.yaml")
    assert loaded == {"SMS_PROVIDER": "aliyun", "SMS_BASE_URL": "http://127.0.0.1:8900",
                      "SECRETS_DIR": "var/secrets", "SMTP_ADDRESS": "127.0.0.1:2525",
                      "SMTP_STARTTLS": False, "MAIL_FROM": "客服中心 <service@kefu.local>",
                      "NOTIFY_RATES": {"sms": 200, "email": 20, "robot": 0.3, "webhook": 20},
                      "SENDING_LEASE_SECONDS": 300, "RESOLUTION_SURVEY": "service_satisfaction",
                      "PUBLIC_BASE_URL": "http://127.0.0.1:8000"}
    assert factory.secrets_dir(loaded) == factory.ROOT / "var" / "secrets"


def test_notify_config_yaml_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KEFU_VAR", str(tmp_path))
    monkeypatch.setenv("KEFU_SMS_PROVIDER", "tencent")
    monkeypatch.setenv("KEFU_SMTP_STARTTLS", "true")
    monkeypatch.setenv("KEFU_MAIL_FROM", "Support: desk #1 <desk@example.com>")
    loaded = load_config(factory.ROOT / "services" / "notify" / "config.yaml")
    assert loaded["SECRETS_DIR"] == f"{tmp_path}/secrets"
    assert (loaded["SMS_PROVIDER"], loaded["SMTP_STARTTLS"]) == ("tencent", True)
    assert loaded["MAIL_FROM"] == "Support: desk #1 <desk@example.com>"


def test_sms_providers_for_callbacks(secrets):
    both = factory.sms_providers(config(secrets))
    assert sorted(both) == ["aliyun", "tencent"]
    assert isinstance(both["aliyun"], AliyunSms) and isinstance(both["tencent"], TencentSms)
    assert both["tencent"].callback_secret == "cb2"
    (secrets / "sms-tencent.json").unlink()
    assert sorted(factory.sms_providers(config(secrets))) == ["aliyun"]
    (secrets / "sms-tencent.json").write_text("{}")       # broken: left out, not fatal
    assert sorted(factory.sms_providers(config(secrets))) == ["aliyun"]
    (secrets / "sms-aliyun.json").unlink()                # the chosen one is required
    with pytest.raises(factory.ChannelConfigError):
        factory.sms_providers(config(secrets))
