"""Group robots against the simulator: platform from the URL, text and markdown bodies,
DingTalk's and Feishu's signatures (the simulator checks them with the registered
secret), and each platform's answer codes."""
import uuid

import pytest

from services.notify.channels.base import Outgoing
from services.notify.channels.robots import RobotWebhook, outcome_of, platform_of


def token() -> str:
    return uuid.uuid4().hex


def url(sim, platform: str, tok: str) -> str:
    return {"dingtalk": f"{sim.url}/dingtalk/robot/send?access_token={tok}",
            "wecom": f"{sim.url}/wecom/cgi-bin/webhook/send?key={tok}",
            "feishu": f"{sim.url}/feishu/open-apis/bot/v2/hook/{tok}"}[platform]


def message(address: str, text="工单 T-1 超时", **kw) -> Outgoing:
    return Outgoing(message_id=str(uuid.uuid4()), address=address, text=text, **kw)


def register(sim, platform: str, tok: str, secret: str) -> None:
    sim.post("/_sim/robots/register", {"platform": platform, "token": tok, "secret": secret})


def received(sim, platform: str, tok: str) -> list[dict]:
    return sim.get("/_sim/robots", platform=platform, token=tok)["messages"]


@pytest.mark.parametrize("address,platform", [
    ("https://oapi.dingtalk.com/robot/send?access_token=x", "dingtalk"),
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", "wecom"),
    ("https://open.feishu.cn/open-apis/bot/v2/hook/x", "feishu"),
    ("https://example.com/hook", None), ("ftp://oapi.dingtalk.com/robot/send", None),
    ("not a url", None)])
def test_platform_from_the_url(address, platform):
    assert platform_of(address) == platform


@pytest.mark.parametrize("platform", ["dingtalk", "feishu"])
def test_signed_text(fresh, platform):
    tok, secret = token(), "SEC" + uuid.uuid4().hex
    register(fresh, platform, tok, secret)
    sent = message(url(fresh, platform, tok), secret=secret)
    [result] = RobotWebhook().send([sent], "a1")
    assert (result.outcome, result.code, result.provider_id) == ("sent", "0", sent.message_id)
    [got] = received(fresh, platform, tok)
    assert (got["msgtype"], got["content"], got["signed"]) == ("text", sent.text, True)


@pytest.mark.parametrize("platform,code", [("dingtalk", "310000"), ("feishu", "19021")])
def test_a_wrong_secret_is_failed(fresh, platform, code):
    tok = token()
    register(fresh, platform, tok, "right")
    [result] = RobotWebhook().send([message(url(fresh, platform, tok), secret="wrong")], "a")
    assert (result.outcome, result.code) == ("failed", code)
    assert received(fresh, platform, tok) == []


@pytest.mark.parametrize("platform", ["dingtalk", "feishu"])
def test_unsigned_when_the_robot_has_no_secret(fresh, platform):
    tok = token()
    [result] = RobotWebhook().send([message(url(fresh, platform, tok))], "a")
    assert result.outcome == "sent"
    assert received(fresh, platform, tok)[0]["signed"] is False


def test_dingtalk_markdown_with_title(fresh):
    tok, secret = token(), "SECx"
    register(fresh, "dingtalk", tok, secret)
    sent = message(url(fresh, "dingtalk", tok), text="### 超时\n- T-1", subject="工单超时",
                   markdown=True, secret=secret)
    [result] = RobotWebhook().send([sent], "a")
    assert result.outcome == "sent"
    [got] = received(fresh, "dingtalk", tok)
    assert (got["msgtype"], got["title"], got["content"], got["signed"]) == \
        ("markdown", "工单超时", sent.text, True)


def test_feishu_markdown_is_a_card_with_the_subject_as_header(fresh):
    tok = token()
    sent = message(url(fresh, "feishu", tok), text="**T-1** 超时", subject="工单超时",
                   markdown=True)
    [result] = RobotWebhook().send([sent], "a")
    assert result.outcome == "sent"
    [got] = received(fresh, "feishu", tok)
    assert (got["msgtype"], got["title"], got["content"]) == \
        ("interactive", "工单超时", sent.text)


def test_wecom_text_and_markdown(fresh):
    tok = token()
    text = message(url(fresh, "wecom", tok), secret="ignored: wecom has no signing")
    md = message(url(fresh, "wecom", tok), text="- T-1", subject="工单超时", markdown=True)
    results = RobotWebhook().send([text, md], "a")
    assert [r.outcome for r in results] == ["sent", "sent"]
    got = received(fresh, "wecom", tok)
    assert [(g["msgtype"], g["content"]) for g in got] == [
        ("text", text.text), ("markdown", "### 工单超时\n- T-1")]


def test_wecom_invalid_key_is_failed(fresh):
    [result] = RobotWebhook().send([message(f"{fresh.url}/wecom/cgi-bin/webhook/send")], "a")
    assert (result.outcome, result.code) == ("failed", "93000")


@pytest.mark.parametrize("platform,code", [
    ("dingtalk", "130101"), ("wecom", "45009"), ("feishu", "11232")])
def test_over_twenty_a_minute_is_throttled(fresh, platform, code):
    tok = token()
    address = url(fresh, platform, tok)
    results = RobotWebhook().send([message(address, text=f"n{n}") for n in range(21)], "a")
    assert [r.outcome for r in results] == ["sent"] * 20 + ["throttled"]
    assert results[-1].code == code
    assert len(received(fresh, platform, tok)) == 20


def test_an_unknown_url_is_failed_without_asking(fresh):
    [result] = RobotWebhook().send([message(f"{fresh.url}/hooks/not-a-robot")], "a")
    assert (result.outcome, result.detail) == ("failed", "unknown robot url")
    assert fresh.get("/_sim/hooks")["count"] == 0


def test_an_http_error_page(fresh):
    # A DingTalk-looking path the simulator does not serve: 404, not a platform answer.
    [result] = RobotWebhook().send([message(f"{fresh.url}/x/robot/send?access_token=t")], "a")
    assert (result.outcome, result.code) == ("failed", "http.404")


@pytest.mark.parametrize("platform,code", [("dingtalk", 40035), ("wecom", 40008),
                                           ("feishu", 9499)])
def test_a_body_the_platform_cannot_read_is_failed_not_retried(platform, code):
    """docs/providers.md: these answers are permanent, the same body is refused again."""
    assert outcome_of(platform, code) == "failed"
    assert outcome_of(platform, 0) == "sent"
