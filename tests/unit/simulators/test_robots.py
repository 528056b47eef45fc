"""Group robots: DingTalk and Feishu signs (verified for a registered secret, recorded
as unverified otherwise), WeCom keys, 20 messages a minute per robot."""
import time
import urllib.parse

from simulators import signing
from tests.unit.simulators.client import get, post

TEXT = {"msgtype": "text", "text": {"content": "工单 T-1 超时"}}


def dingtalk(sim, token, body=TEXT, secret=None, ts=None):
    path = f"/dingtalk/robot/send?access_token={token}"
    if secret is not None:
        ts = ts or int(time.time() * 1000)
        path += f"&timestamp={ts}&sign={urllib.parse.quote(signing.dingtalk_sign(secret, ts))}"
    return post(sim, path, body)[1]


def feishu(sim, token, body, secret=None, ts=None):
    if secret is not None:
        ts = ts or int(time.time())
        body = dict(body, timestamp=str(ts), sign=signing.feishu_sign(secret, ts))
    return post(sim, f"/feishu/open-apis/bot/v2/hook/{token}", body)[1]


def test_dingtalk_a_registered_secret_is_verified(sim):
    post(sim, "/_sim/robots/register", {"platform": "dingtalk", "token": "t1", "secret": "SEC1"})
    assert dingtalk(sim, "t1", secret="SEC1") == {"errcode": 0, "errmsg": "ok"}
    assert dingtalk(sim, "t1", secret="other")["errcode"] == 310000
    assert dingtalk(sim, "t1")["errcode"] == 310000   # a signed robot needs the sign
    stale = int(time.time() * 1000) - 2 * 3600 * 1000
    assert dingtalk(sim, "t1", secret="SEC1", ts=stale)["errcode"] == 310000
    [kept] = get(sim, "/_sim/robots?platform=dingtalk")["messages"]
    assert (kept["token"], kept["msgtype"], kept["content"], kept["signed"]) == \
        ("t1", "text", "工单 T-1 超时", True)


def test_dingtalk_an_unknown_secret_is_accepted_as_unverified(sim):
    markdown = {"msgtype": "markdown", "markdown": {"title": "超时", "text": "## 工单"}}
    assert dingtalk(sim, "t2", markdown, secret="whatever")["errcode"] == 0
    assert dingtalk(sim, "t2")["errcode"] == 0
    kept = get(sim, "/_sim/robots")["messages"]
    assert [(m["signed"], m["msgtype"]) for m in kept] == [("unverified", "markdown"),
                                                           (False, "text")]
    assert kept[0]["title"] == "超时" and kept[0]["content"] == "## 工单"


def test_dingtalk_twenty_a_minute_per_robot(sim):
    codes = [dingtalk(sim, "busy")["errcode"] for _ in range(21)]
    assert codes == [0] * 20 + [130101]
    assert dingtalk(sim, "calm")["errcode"] == 0
    assert get(sim, "/_sim/robots?token=busy")["count"] == 20


def test_feishu_sign_good_bad_and_unverified(sim):
    post(sim, "/_sim/robots/register", {"platform": "feishu", "token": "f1", "secret": "S"})
    text = {"msg_type": "text", "content": {"text": "你好"}}
    assert feishu(sim, "f1", text, secret="S") == {"code": 0, "msg": "success", "data": {}}
    assert feishu(sim, "f1", text, secret="T")["code"] == 19021
    assert feishu(sim, "f1", text)["code"] == 19021
    assert feishu(sim, "f2", text, secret="T")["code"] == 0
    card = {"msg_type": "interactive", "card": {"elements": [{"tag": "markdown",
                                                              "content": "**加粗**"}]}}
    assert feishu(sim, "f2", card)["code"] == 0
    kept = get(sim, "/_sim/robots?platform=feishu")["messages"]
    assert [(m["token"], m["signed"], m["content"]) for m in kept] == [
        ("f1", True, "你好"), ("f2", "unverified", "你好"), ("f2", False, "**加粗**")]


def test_feishu_rate_limit(sim):
    text = {"msg_type": "text", "content": {"text": "x"}}
    assert [feishu(sim, "f3", text)["code"] for _ in range(21)][-2:] == [0, 11232]


def test_wecom_key_rate_limit_and_bad_body(sim):
    path = "/wecom/cgi-bin/webhook/send?key="
    assert post(sim, path + "k1", {"msgtype": "markdown", "markdown": {"content": "# 告警"}})[1] \
        == {"errcode": 0, "errmsg": "ok"}
    assert post(sim, path, TEXT)[1]["errcode"] == 93000
    assert post(sim, path + "k1", {"msgtype": "image"})[1]["errcode"] != 0
    codes = [post(sim, path + "k1", TEXT)[1]["errcode"] for _ in range(20)]
    assert codes[-2:] == [0, 45009]
    assert get(sim, "/_sim/robots?platform=wecom")["messages"][0]["content"] == "# 告警"


def test_register_refuses_an_unknown_platform(sim):
    assert post(sim, "/_sim/robots/register", {"platform": "slack", "token": "x",
                                               "secret": ""})[0] == 400


def test_a_non_ascii_sign_is_refused_not_an_error(sim):
    post(sim, "/_sim/robots/register", {"platform": "dingtalk", "token": "d9", "secret": "S"})
    now = int(time.time() * 1000)
    for query in (f"&timestamp={now}&sign=%E7%AD%BE%E5%90%8D", "&timestamp=%C2%B2&sign=x"):
        status, answer = post(sim, "/dingtalk/robot/send?access_token=d9" + query, TEXT)
        assert (status, answer["errcode"]) == (200, 310000)
    post(sim, "/_sim/robots/register", {"platform": "feishu", "token": "f9", "secret": "S"})
    text = {"msg_type": "text", "content": {"text": "x"}, "timestamp": str(int(time.time()))}
    for sign in ("签名", "\ud800"):
        status, answer = post(sim, "/feishu/open-apis/bot/v2/hook/f9", dict(text, sign=sign))
        assert (status, answer["code"]) == (200, 19021)
    assert get(sim, "/_sim/robots")["count"] == 0
