"""Email over SMTP: one connection per send() call, one message per Outgoing.

Each message: UTF-8 text, `From` = MAIL_FROM, `To` = the address, `Message-ID:
<message_id@kefu.local>` (a resend after a crash carries the same one, so it is the
provider id).  STARTTLS when asked for and offered (the certificate verified: the system's CAs, or
`tls_ca`); AUTH when a username is set — never AUTH in clear: without STARTTLS a username
is refused (retry, code smtp.no_tls) unless the server is on loopback.

Outcomes per recipient: refused with 5xx (SMTPRecipientsRefused, a 5xx answer to the
data) -> failed; 4xx -> retry; the connection failing or lost -> retry for that message
and every one after it (maybe_taken for the message whose data had gone out).
"""
import base64
import ipaddress
import logging
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from services.notify.channels.base import Outgoing, Result
from services.notify.channels.masking import mask_email, scrub

log = logging.getLogger(__name__)

MAX_SUBJECT = 500
# Result codes after which the connection is gone (421: the server is closing it).
CONNECTION_OVER = frozenset({"smtp.disconnected", "smtp.io", "421"})


def message_id(outgoing: Outgoing) -> str:
    return f"<{outgoing.message_id}@kefu.local>"


def compose(outgoing: Outgoing, mail_from: str) -> EmailMessage:
    """The email of one Outgoing (ValueError when its address cannot be a header)."""
    mail = EmailMessage()
    mail["From"] = mail_from
    mail["To"] = outgoing.address
    subject = " ".join(outgoing.subject.split())[:MAX_SUBJECT]   # no line breaks
    mail["Subject"] = subject
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = message_id(outgoing)
    mail.set_content(outgoing.text, subtype="plain", charset="utf-8")
    for item in outgoing.params.get("attachments") or ():
        attach(mail, item)
    return mail


ATTACHABLE = {"image/png": ("image", "png")}
MAX_ATTACHMENT = 1_000_000  # bytes, decoded


def attach(mail: EmailMessage, item: dict) -> None:
    """One attachment {name, type, data (base64)} added (ValueError: a type not
    attachable, bad base64, too large — the message fails rather than goes without)."""
    kind = ATTACHABLE.get(item.get("type", ""))
    if kind is None:
        raise ValueError(f"attachment type {item.get('type')!r} not allowed")
    data = base64.b64decode(item.get("data") or "", validate=True)
    if len(data) > MAX_ATTACHMENT:
        raise ValueError("attachment too large")
    name = " ".join(str(item.get("name") or "attachment").split())[:100]
    mail.add_attachment(data, maintype=kind[0], subtype=kind[1], filename=name)


def valid_address(address: str) -> bool:
    """One plain address, `local@domain`, no display name, no header-breaking text."""
    if not address or len(address) > 254 or any(c in address for c in "\r\n<>,;\"() "):
        return False
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, IndexError, TypeError):
        return False
    return bool(parsed.username and parsed.domain and "." in parsed.domain)


class SmtpEmail:
    """Channel "email" through one SMTP server."""

    name = "email"
    batch_size = 20

    def __init__(self, host: str, port: int, mail_from: str, starttls: bool = False,
                 username: str = "", password: str = "", timeout: float = 10,
                 tls_ca: str = ""):
        """`tls_ca`: a CA bundle (PEM) to trust for STARTTLS instead of the system's
        (a private server's own certificate); the host name is checked either way."""
        self.host, self.port = host, int(port)
        self.tls_ca = tls_ca
        self.mail_from = mail_from
        self.envelope_from = parseaddr(mail_from)[1] or mail_from
        self.starttls, self.username, self.password = starttls, username, password
        self.timeout = timeout

    def send(self, batch: list[Outgoing], attempt_id: str) -> list[Result]:
        results: list[Result] = []
        if not any(valid_address(o.address) for o in batch):
            return [_bad_address(o) for o in batch]
        try:
            smtp = self._connect()
        except (smtplib.SMTPException, OSError) as e:
            code, detail = _error(e)
            log.warning("smtp %s:%d unusable (%s): %s", self.host, self.port, code, detail)
            return [Result(o.message_id, "retry", code=code, detail=detail)
                    if valid_address(o.address) else _bad_address(o) for o in batch]
        connected = True
        try:
            for outgoing in batch:
                if not valid_address(outgoing.address):
                    results.append(_bad_address(outgoing))
                elif not connected:
                    results.append(Result(outgoing.message_id, "retry",
                                          code="smtp.disconnected",
                                          detail="connection lost earlier in this batch"))
                else:
                    result = self._send_one(smtp, outgoing)
                    connected = result.code not in CONNECTION_OVER
                    results.append(result)
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
        return results

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo_or_helo_if_needed()
            if self.starttls and smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context(
                    cafile=self.tls_ca or None))
                smtp.ehlo()
            if self.username:
                if not self.starttls_done(smtp) and not _loopback(self.host):
                    raise smtplib.SMTPNotSupportedError("smtp.no_tls")
                smtp.login(self.username, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    @staticmethod
    def starttls_done(smtp: smtplib.SMTP) -> bool:
        return isinstance(smtp.sock, ssl.SSLSocket)

    def _send_one(self, smtp: smtplib.SMTP, outgoing: Outgoing) -> Result:
        mid = message_id(outgoing)
        try:
            mail = compose(outgoing, self.mail_from)
        except (ValueError, TypeError) as e:
            return Result(outgoing.message_id, "failed", code="kefu.BadMessage",
                          detail=scrub(str(e)))
        try:
            refused = smtp.send_message(mail, from_addr=self.envelope_from,
                                        to_addrs=[outgoing.address])
        except smtplib.SMTPRecipientsRefused as e:
            code, answer = next(iter(e.recipients.values()), (550, b""))
            return self._refused(outgoing, code, answer)
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as e:
            # A 5xx to the sender is our configuration, not this message: retried.
            permanent = isinstance(e, smtplib.SMTPDataError) and 500 <= e.smtp_code < 600
            return Result(outgoing.message_id, "failed" if permanent else "retry",
                          code=str(e.smtp_code), detail=_text(e.smtp_error))
        except smtplib.SMTPNotSupportedError as e:
            # A non-ASCII address and a server without SMTPUTF8.
            return Result(outgoing.message_id, "failed", code="smtp.utf8",
                          detail=scrub(str(e)))
        except smtplib.SMTPServerDisconnected as e:
            # The data may have gone out before the connection was lost.
            return Result(outgoing.message_id, "retry", code="smtp.disconnected",
                          detail=scrub(str(e)), maybe_taken=True)
        except smtplib.SMTPResponseException as e:
            return Result(outgoing.message_id,
                          "failed" if 500 <= e.smtp_code < 600 else "retry",
                          code=str(e.smtp_code), detail=_text(e.smtp_error))
        except (smtplib.SMTPException, OSError) as e:
            return Result(outgoing.message_id, "retry", code="smtp.io",
                          detail=type(e).__name__, maybe_taken=True)
        if refused:
            code, answer = next(iter(refused.values()))
            return self._refused(outgoing, code, answer)
        return Result(outgoing.message_id, "sent", provider_id=mid, code="250")

    def _refused(self, outgoing: Outgoing, code: int, answer: bytes) -> Result:
        log.info("smtp refused %s: %s", mask_email(outgoing.address), code)
        return Result(outgoing.message_id, "retry" if 400 <= code < 500 else "failed",
                      code=str(code), detail=_text(answer))


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _bad_address(outgoing: Outgoing) -> Result:
    return Result(outgoing.message_id, "failed", code="kefu.BadAddress",
                  detail="not an email address")


def _text(answer: bytes | str) -> str:
    if isinstance(answer, bytes):
        answer = answer.decode("utf-8", "replace")
    return scrub(answer)


def _error(error: Exception) -> tuple[str, str]:
    if isinstance(error, smtplib.SMTPNotSupportedError) and str(error) == "smtp.no_tls":
        return "smtp.no_tls", "no STARTTLS: will not send the password in clear"
    if isinstance(error, smtplib.SMTPResponseException):
        return str(error.smtp_code), _text(error.smtp_error)
    return "smtp.connect", type(error).__name__
