"""The channels of a notify process, built from its nameko config.

    channels = channels_from_config(config)   # {"sms": ..., "email": ..., "robot": ...,
                                              #  "webhook": ...}
    providers = sms_providers(config)         # {"aliyun": ..., "tencent": ...}: whose
                                              # callbacks notify can verify

Config keys (services/notify/config.yaml, from the environment):

- SMS_PROVIDER   "aliyun" (default) or "tencent": which SMS adapter is "sms".
- SMS_BASE_URL   the providers' base URL (KEFU_PROVIDERS_URL; the simulator's locally):
                 the adapters post to {SMS_BASE_URL}/aliyun/ or /tencent/.
- SECRETS_DIR    the folder of credentials (${KEFU_VAR}/secrets): sms-aliyun.json
                 {"access_key_id", "access_key_secret", "callback_secret"},
                 sms-tencent.json {"secret_id", "secret_key", "sdk_app_id",
                 "callback_secret"}, webhook-signing (the outgoing webhooks' secret).
                 A relative folder is read from the repository's root.  Only the
                 chosen SMS provider's file is read.
- SMTP_ADDRESS   "host:port" of the SMTP server ("[::1]:25" for IPv6).
- SMTP_STARTTLS  true / false: STARTTLS when the server offers it.
- MAIL_FROM      the From of every email, e.g. `客服中心 <service@kefu.local>`.
- SMTP_USERNAME, SMTP_PASSWORD   optional: AUTH after STARTTLS (empty: no AUTH).
- SMTP_TLS_CA                    optional: a PEM file of the CA(s) to trust for STARTTLS
                                 (a private server's certificate); else the system's.
- CHANNEL_TIMEOUT                optional: seconds of every provider request (5).

A missing or malformed credential file is a ChannelConfigError naming it (the process
should not start half-configured).
"""
import json
import logging
from pathlib import Path
from typing import Any

from services.notify.channels.base import Channel, SmsProvider
from services.notify.channels.email import SmtpEmail
from services.notify.channels.robots import RobotWebhook
from services.notify.channels.sms_aliyun import AliyunSms
from services.notify.channels.sms_tencent import TencentSms
from services.notify.channels.webhooks import OutgoingWebhook

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[3]
DEFAULT_MAIL_FROM = "客服中心 <service@kefu.local>"
SMS_FIELDS = {
    "aliyun": ("sms-aliyun.json", ("access_key_id", "access_key_secret", "callback_secret")),
    "tencent": ("sms-tencent.json",
                ("secret_id", "secret_key", "sdk_app_id", "callback_secret")),
}


class ChannelConfigError(ValueError):
    pass


def channels_from_config(config: dict) -> dict[str, Channel]:
    secrets = secrets_dir(config)
    timeout = float(config.get("CHANNEL_TIMEOUT") or 5)
    host, port = smtp_address(str(config.get("SMTP_ADDRESS") or "127.0.0.1:2525"))
    return {
        "sms": sms_channel(config, secrets, timeout),
        "email": SmtpEmail(host, port, str(config.get("MAIL_FROM") or DEFAULT_MAIL_FROM),
                           starttls=flag(config.get("SMTP_STARTTLS")),
                           username=str(config.get("SMTP_USERNAME") or ""),
                           password=str(config.get("SMTP_PASSWORD") or ""),
                           timeout=max(timeout, 10),
                           tls_ca=str(config.get("SMTP_TLS_CA") or "")),
        "robot": RobotWebhook(timeout=timeout),
        "webhook": OutgoingWebhook(read_secret(secrets / "webhook-signing"), timeout=timeout),
    }


def sms_providers(config: dict) -> dict[str, SmsProvider]:
    """The SMS adapters by provider name, for callbacks (receipts, uplinks): the
    configured one (its credentials required), and the other when its credentials file is
    there too — receipts of messages sent before a switch of SMS_PROVIDER still verify."""
    secrets = secrets_dir(config)
    timeout = float(config.get("CHANNEL_TIMEOUT") or 5)
    chosen = sms_provider_name(config)
    found: dict[str, SmsProvider] = {chosen: sms_channel(config, secrets, timeout)}
    for name, (filename, _) in SMS_FIELDS.items():
        if name != chosen and (secrets / filename).is_file():
            try:
                found[name] = sms_channel({**config, "SMS_PROVIDER": name}, secrets, timeout)
            except ChannelConfigError as e:
                log.warning("SMS provider %s left out: %s", name, e)
    return found


def sms_provider_name(config: dict) -> str:
    provider = str(config.get("SMS_PROVIDER") or "aliyun").strip().lower()
    if provider not in SMS_FIELDS:
        raise ChannelConfigError(f"SMS_PROVIDER: aliyun or tencent, not {provider!r}")
    return provider


def sms_channel(config: dict, secrets: Path, timeout: float) -> AliyunSms | TencentSms:
    provider = sms_provider_name(config)
    base_url = str(config.get("SMS_BASE_URL") or "").strip()
    if not base_url.startswith(("http://", "https://")):
        raise ChannelConfigError(f"SMS_BASE_URL: an http(s) URL, not {base_url!r}")
    filename, fields = SMS_FIELDS[provider]
    creds = read_credentials(secrets / filename, fields)
    if provider == "aliyun":
        return AliyunSms(base_url, creds["access_key_id"], creds["access_key_secret"],
                         creds["callback_secret"], timeout=timeout)
    return TencentSms(base_url, creds["secret_id"], creds["secret_key"], creds["sdk_app_id"],
                      creds["callback_secret"], timeout=timeout)


def secrets_dir(config: dict) -> Path:
    folder = Path(str(config.get("SECRETS_DIR") or "var/secrets"))
    return folder if folder.is_absolute() else ROOT / folder


def read_credentials(path: Path, fields: tuple[str, ...]) -> dict[str, str]:
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ChannelConfigError(f"{path}: cannot read ({e.strerror})") from e
    except ValueError as e:
        raise ChannelConfigError(f"{path}: not JSON") from e
    if not isinstance(data, dict):
        raise ChannelConfigError(f"{path}: a JSON object expected")
    missing = [f for f in fields if not isinstance(data.get(f), str | int) or data[f] == ""]
    if missing:
        raise ChannelConfigError(f"{path}: missing {', '.join(missing)}")
    return {f: str(data[f]) for f in fields}


def read_secret(path: Path) -> str:
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ChannelConfigError(f"{path}: cannot read ({e.strerror})") from e
    if not secret:
        raise ChannelConfigError(f"{path}: empty")
    return secret


def smtp_address(address: str) -> tuple[str, int]:
    """`host:port` (or `[v6]:port`) -> (host, port)."""
    host, colon, port = address.strip().rpartition(":")
    host = host.strip("[]")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ChannelConfigError(f"SMTP_ADDRESS: host:port, not {address!r}")
    return host, int(port)


def flag(value: Any) -> bool:
    """A config boolean: YAML's true/false, or the text of one."""
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")
