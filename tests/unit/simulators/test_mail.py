"""The SMTP server keeps each message in the Maildir; /_sim/mail reads them back
decoded; STARTTLS when asked for."""
import smtplib
import ssl
from email.message import EmailMessage

from simulators import start
from tests.unit.simulators.client import get, post


def message(to: str, subject: str, text: str, mid: str) -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"], m["Message-ID"] = \
        "客服中心 <service@kefu.local>", to, subject, f"<{mid}@kefu.local>"
    m.set_content(text)
    return m


def test_a_message_is_kept_and_read_back_decoded(sim, tmp_path):
    with smtplib.SMTP("127.0.0.1", sim.smtp_port) as smtp:
        smtp.send_message(message("张三 <zhang@example.com>", "您的工单已受理",
                                  "工单 T-1 已受理。", "a1"))
        smtp.send_message(message("li@example.com", "另一封", "正文", "a2"))
    [m] = get(sim, "/_sim/mail?to=zhang@example.com")["messages"]
    assert (m["message_id"], m["subject"], m["text"].strip()) == \
        ("<a1@kefu.local>", "您的工单已受理", "工单 T-1 已受理。")
    assert m["from"] == "客服中心 <service@kefu.local>" and "zhang@example.com" in m["to"]
    assert get(sim, "/_sim/mail")["count"] == 2
    assert len(list((tmp_path / "mail" / "test" / "new").iterdir())) == 2


def test_reset_empties_the_maildir(sim):
    with smtplib.SMTP("127.0.0.1", sim.smtp_port) as smtp:
        smtp.send_message(message("a@example.com", "s", "t", "b1"))
    post(sim, "/_sim/reset", {})
    assert get(sim, "/_sim/mail")["count"] == 0


def test_starttls_is_offered_only_when_asked(sim, tmp_path):
    with smtplib.SMTP("127.0.0.1", sim.smtp_port) as smtp:
        smtp.ehlo()
        assert not smtp.has_extn("starttls")
    tls = start(callback_base="", secrets_dir=tmp_path / "secrets",
                maildir=tmp_path / "tls" / "mail", smtp_tls=True)
    try:
        with smtplib.SMTP("127.0.0.1", tls.smtp_port) as smtp:
            smtp.ehlo()
            assert smtp.has_extn("starttls")
            context = ssl.create_default_context(cafile=tmp_path / "tls" / "smtp-tls" / "cert.pem")
            context.check_hostname = False
            smtp.starttls(context=context)
            smtp.send_message(message("c@example.com", "加密", "t", "c1"))
        assert get(tls, "/_sim/mail")["messages"][0]["subject"] == "加密"
    finally:
        tls.stop()
