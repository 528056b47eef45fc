"""The simulated providers' credentials in `<secrets>/`: made once with random values
(0600) when missing, then read by the simulator and by notify.

    python3 -m simulators.secrets var/secrets     (deploy/local/stack.sh; stdlib only)
"""
import json
import os
import secrets as random_source
import string
import sys
from pathlib import Path

ALNUM = string.ascii_letters + string.digits


def _random(length: int, alphabet: str = ALNUM) -> str:
    return "".join(random_source.choice(alphabet) for _ in range(length))


def _fresh() -> dict[str, str]:
    aliyun = {"access_key_id": "LTAI" + _random(20), "access_key_secret": _random(30),
              "callback_secret": _random(32)}
    tencent = {"secret_id": "AKID" + _random(32), "secret_key": _random(32),
               "sdk_app_id": "14" + _random(8, string.digits), "callback_secret": _random(32)}
    return {"sms-aliyun.json": json.dumps(aliyun, indent=2) + "\n",
            "sms-tencent.json": json.dumps(tencent, indent=2) + "\n",
            "webhook-signing": _random(32) + "\n"}


def ensure(folder: Path) -> None:
    """Every credential file exists (made private from birth, never overwritten)."""
    folder = Path(folder)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name, content in _fresh().items():
        path = folder / name
        if not path.exists() or path.stat().st_size == 0:
            tmp = folder / f".{name}.{os.getpid()}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(content)
            try:  # link: a file another process made meanwhile is kept
                if path.exists():
                    os.replace(tmp, path)
                else:
                    os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink(missing_ok=True)
        os.chmod(path, 0o600)


def load(folder: Path) -> dict:
    """{"aliyun": {...}, "tencent": {...}, "webhook": "<secret>"}, made first if missing."""
    folder = Path(folder)
    ensure(folder)
    aliyun = json.loads((folder / "sms-aliyun.json").read_text())
    tencent = json.loads((folder / "sms-tencent.json").read_text())
    for name, data, keys in (
            ("sms-aliyun.json", aliyun, ("access_key_id", "access_key_secret", "callback_secret")),
            ("sms-tencent.json", tencent,
             ("secret_id", "secret_key", "sdk_app_id", "callback_secret"))):
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) and data[k]
                                                 for k in keys):
            raise ValueError(f"{folder / name}: needs the string fields {', '.join(keys)}")
    webhook = (folder / "webhook-signing").read_text().strip()
    return {"aliyun": aliyun, "tencent": tencent, "webhook": webhook}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 -m simulators.secrets <secrets folder>")
    ensure(Path(sys.argv[1]))
