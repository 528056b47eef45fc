"""A small client for the simulator in tests: signed provider calls, JSON calls, and a
receiver standing in for notify's callbacks."""
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from simulators import signing


def call(url: str, data: bytes | None = None, headers: dict | None = None,
         method: str | None = None) -> tuple[int, dict]:
    """(status, JSON answer) of a request; error statuses are answers too."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            status, body = answer.status, answer.read()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read()
    return status, json.loads(body) if body else {}


def get(sim, path: str) -> dict:
    status, body = call(sim.url + path)
    assert status == 200, body
    return body


def post(sim, path: str, data) -> tuple[int, dict]:
    return call(sim.url + path, json.dumps(data).encode(),
                {"Content-Type": "application/json"}, "POST")


def aliyun_params(creds: dict, action: str, **fields) -> dict:
    params = {"Action": action, "Version": "2017-05-25", "Format": "JSON",
              "AccessKeyId": creds["access_key_id"], "SignatureMethod": "HMAC-SHA1",
              "SignatureVersion": "1.0", "SignatureNonce": str(uuid.uuid4()),
              "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **fields}
    params["Signature"] = signing.pop_signature(params, creds["access_key_secret"])
    return params


def aliyun(sim, action: str, secret: str | None = None, **fields) -> tuple[int, dict]:
    creds = dict(sim.secrets["aliyun"])
    if secret is not None:
        creds["access_key_secret"] = secret
    body = urllib.parse.urlencode(aliyun_params(creds, action, **fields)).encode()
    return call(sim.url + "/aliyun/", body,
                {"Content-Type": "application/x-www-form-urlencoded"}, "POST")


def tencent(sim, action: str, data: dict, secret_key: str | None = None,
            host: str | None = None, body: bytes | None = None) -> dict:
    creds = sim.secrets["tencent"]
    payload = json.dumps({"SmsSdkAppId": creds["sdk_app_id"], **data}).encode()
    ts = int(time.time())
    auth = signing.tc3_authorization(creds["secret_id"], secret_key or creds["secret_key"], ts,
                                     host or sim.url.split("//")[1], payload)
    status, answer = call(sim.url + "/tencent/", payload if body is None else body, {
        "Content-Type": signing.TC3_CONTENT_TYPE, "X-TC-Action": action,
        "X-TC-Version": "2021-01-11", "X-TC-Timestamp": str(ts),
        "X-TC-Region": "ap-guangzhou", "Authorization": auth}, "POST")
    assert status == 200, answer
    return answer["Response"]


def wait_for(predicate, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


class Receiver:
    """Stands in for notify's callback endpoints: records every POST; answers
    `statuses` in turn (then 200) with `answer` as the JSON body."""

    def __init__(self):
        self.posts: list[dict] = []
        self.statuses: list[int] = []
        self.answer: dict = {"code": 0, "msg": "成功"}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.posts.append({"path": self.path, "body": body,
                                           "headers": dict(self.headers)})
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                data = json.dumps(receiver.answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def bodies(self, path: str) -> list:
        with self.lock:
            return [json.loads(p["body"]) for p in self.posts if p["path"] == path]
