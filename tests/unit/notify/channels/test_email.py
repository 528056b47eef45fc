"""Email through the simulator's SMTP server (read back from its Maildir via /_sim/mail),
and the outcome of each SMTP failure."""
import base64
import smtplib
import socket
import uuid

import pytest

from services.notify.channels import email as email_channel
from services.notify.channels.base import Outgoing
from services.notify.channels.email import SmtpEmail
from tests.unit.notify.channels.conftest import running_sim

FROM = "客服中心 <service@kefu.local>"


@pytest.fixture(scope="module")
def sim(tmp_path_factory, callbacks):
    """This module's simulator offers STARTTLS (not required: plain clients still send)."""
    yield from running_sim(tmp_path_factory, callbacks, smtp_tls=True)


def mail(address=None, subject="工单 T-1 已受理", text="您好，\n您的工单已受理。") -> Outgoing:
    return Outgoing(message_id=str(uuid.uuid4()),
                    address=address or f"u{uuid.uuid4().hex[:8]}@example.com",
                    text=text, subject=subject)


def test_each_message_is_delivered_with_its_message_id(fresh):
    first, second = mail(), mail(subject="第二封")
    results = SmtpEmail("127.0.0.1", fresh.smtp_port, FROM).send([first, second], "a1")
    assert [(r.outcome, r.provider_id) for r in results] == [
        ("sent", f"<{first.message_id}@kefu.local>"),
        ("sent", f"<{second.message_id}@kefu.local>")]
    [got] = fresh.get("/_sim/mail", to=first.address)["messages"]
    assert got["message_id"] == f"<{first.message_id}@kefu.local>"
    assert (got["subject"], got["text"].rstrip("\n")) == ("工单 T-1 已受理", first.text)
    assert got["from"] == FROM and got["to"] == first.address
    assert fresh.get("/_sim/mail", to=second.address)["messages"][0]["subject"] == "第二封"


def test_a_bad_address_fails_alone(fresh):
    good = mail()
    bad = [mail(address=a) for a in ("no-at-sign", "a@b.com\r\nBcc: x@y.com")]
    bad.append(Outgoing(str(uuid.uuid4()), "", "no address"))
    results = SmtpEmail("127.0.0.1", fresh.smtp_port, FROM).send(bad + [good], "a1")
    assert [r.outcome for r in results] == ["failed"] * 3 + ["sent"]
    assert {r.code for r in results[:3]} == {"kefu.BadAddress"}
    assert fresh.get("/_sim/mail")["count"] == 1


PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8).decode()


def test_r3_an_attached_png_arrives_with_its_name(fresh):
    message = mail(subject="客服日报 2026-12-06")
    message.params["attachments"] = [{"name": "趋势.png", "type": "image/png", "data": PNG}]
    [result] = SmtpEmail("127.0.0.1", fresh.smtp_port, FROM).send([message], "a1")
    assert result.outcome == "sent"
    [got] = fresh.get("/_sim/mail", to=message.address)["messages"]
    assert got["text"].rstrip("\n") == message.text  # the text is the text part still
    assert got["attachments"] == [{"name": "趋势.png", "type": "image/png",
                                   "size": 8 + 256 * 8, "magic": "89504e470d0a1a0a"}]


@pytest.mark.parametrize("item", [
    {"name": "a.exe", "type": "application/x-msdownload", "data": PNG},
    {"name": "a.png", "type": "image/png", "data": "not base64!"},
    {"name": "a.png", "type": "image/png",
     "data": base64.b64encode(b"x" * (email_channel.MAX_ATTACHMENT + 1)).decode()},
])
def test_r3_an_attachment_not_allowed_fails_the_message_and_sends_nothing(fresh, item):
    message = mail()
    message.params["attachments"] = [item]
    [result] = SmtpEmail("127.0.0.1", fresh.smtp_port, FROM).send([message], "a1")
    assert (result.outcome, result.code) == ("failed", "kefu.BadMessage")
    assert fresh.get("/_sim/mail", to=message.address)["count"] == 0


def test_a_subject_with_line_breaks_is_one_line(fresh):
    message = mail(subject="第一行\r\nBcc: evil@example.com")
    [result] = SmtpEmail("127.0.0.1", fresh.smtp_port, FROM).send([message], "a1")
    assert result.outcome == "sent"
    [got] = fresh.get("/_sim/mail", to=message.address)["messages"]
    assert got["subject"] == "第一行 Bcc: evil@example.com"
    assert fresh.get("/_sim/mail", to="evil@example.com")["count"] == 0


def test_no_server_is_retry_for_all():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    results = SmtpEmail("127.0.0.1", port, FROM, timeout=2).send([mail(), mail()], "a1")
    assert [(r.outcome, r.code, r.maybe_taken) for r in results] == \
        [("retry", "smtp.connect", False)] * 2


class TestStarttls:
    @pytest.fixture
    def ca(self, sim):
        return str(sim.maildir.parent / "smtp-tls" / "cert.pem")

    def test_sent_over_starttls_with_the_servers_ca(self, fresh, ca):
        channel = SmtpEmail("127.0.0.1", fresh.smtp_port, FROM, starttls=True, tls_ca=ca)
        connection = channel._connect()
        try:
            assert channel.starttls_done(connection)
        finally:
            connection.close()
        message = mail()
        [result] = channel.send([message], "a1")
        assert result.outcome == "sent"
        assert fresh.get("/_sim/mail", to=message.address)["count"] == 1

    def test_without_starttls_the_connection_stays_plain(self, fresh):
        channel = SmtpEmail("127.0.0.1", fresh.smtp_port, FROM)
        connection = channel._connect()
        try:
            assert not channel.starttls_done(connection)
        finally:
            connection.close()

    def test_an_unknown_certificate_is_retry(self, fresh):
        [result] = SmtpEmail("127.0.0.1", fresh.smtp_port, FROM, starttls=True).send(
            [mail()], "a1")
        assert (result.outcome, result.code) == ("retry", "smtp.connect")
        assert fresh.get("/_sim/mail")["count"] == 0

    def test_no_password_in_clear_to_a_remote_server(self, monkeypatch):
        monkeypatch.setattr(email_channel.smtplib, "SMTP", FakeSmtp)
        [result] = SmtpEmail("mail.example.com", 25, FROM, username="u", password="p").send(
            [mail()], "a1")
        assert (result.outcome, result.code) == ("retry", "smtp.no_tls")
        assert FakeSmtp.last.logged_in is False


class FakeSmtp:
    """smtplib.SMTP's surface, answering per recipient as its local part says."""

    last: "FakeSmtp"

    def __init__(self, host, port, timeout=None):
        self.sent: list[str] = []
        self.logged_in = False
        self.sock = None
        FakeSmtp.last = self

    def ehlo_or_helo_if_needed(self):
        pass

    def has_extn(self, name):
        return False

    def login(self, user, password):
        self.logged_in = True

    def send_message(self, message, from_addr=None, to_addrs=None):
        [to] = to_addrs
        local = to.partition("@")[0]
        if local == "gone":
            raise smtplib.SMTPRecipientsRefused({to: (550, b"5.1.1 no such user " +
                                                      to.encode())})
        if local == "full":
            raise smtplib.SMTPRecipientsRefused({to: (452, b"4.2.2 mailbox full")})
        if local == "spam":
            raise smtplib.SMTPDataError(554, b"5.7.1 rejected as spam")
        if local == "later":
            raise smtplib.SMTPDataError(451, b"4.3.0 try later")
        if local == "drop":
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        self.sent.append(to)
        return {}

    def quit(self):
        pass

    def close(self):
        pass


def test_smtp_answers_map_to_outcomes(monkeypatch):
    monkeypatch.setattr(email_channel.smtplib, "SMTP", FakeSmtp)
    batch = [mail(f"{local}@example.com") for local in
             ("ok1", "gone", "full", "spam", "later", "ok2", "drop", "ok3")]
    results = SmtpEmail("127.0.0.1", 25, FROM).send(batch, "a1")
    assert [(r.outcome, r.code, r.maybe_taken) for r in results] == [
        ("sent", "250", False), ("failed", "550", False), ("retry", "452", False),
        ("failed", "554", False), ("retry", "451", False), ("sent", "250", False),
        ("retry", "smtp.disconnected", True),       # its data may have gone out
        ("retry", "smtp.disconnected", False)]      # never tried: the connection was gone
    assert FakeSmtp.last.sent == ["ok1@example.com", "ok2@example.com"]
    assert "gone@example.com" not in results[1].detail        # masked
