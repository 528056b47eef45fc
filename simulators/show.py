"""`python -m simulators.show mail|sms`: what the running simulator of this env received
(`make mail`, `make sms`), read from KEFU_PROVIDERS_URL's /_sim API; phones masked."""
import json
import os
import sys
import urllib.error
import urllib.request

from simulators import phones


def fetch(path: str) -> dict:
    base = (os.environ.get("KEFU_PROVIDERS_URL") or "http://127.0.0.1:8900").rstrip("/")
    try:
        with urllib.request.urlopen(base + path, timeout=5) as answer:  # noqa: S310
            return json.loads(answer.read())
    except (urllib.error.URLError, OSError) as e:
        sys.exit(f"the simulator at {base} does not answer ({e}); is the stack running?")


def show_mail() -> None:
    found = fetch("/_sim/mail")["messages"]
    for m in found:
        print(f"{m['received_at']}  to {m['to']}  {m['subject']}  {m['message_id']}")
    print(f"{len(found)} message(s)")


def show_sms() -> None:
    data = fetch("/_sim/sms?limit=50")
    for m in data["messages"]:
        params = json.dumps(m["params"], ensure_ascii=False)
        print(f"{m['received_at']}  {m['provider']:<7} {phones.mask(m['phone'])}  "
              f"{m['status']:<9} 【{m['sign_name']}】{m['template_code']} {params}")
    print(f"{data['count']} message(s), the last {len(data['messages'])} shown")


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) == 2 else ""
    if what not in ("mail", "sms"):
        sys.exit("usage: python -m simulators.show mail|sms")
    show_mail() if what == "mail" else show_sms()
