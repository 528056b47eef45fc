"""The local SMTP server (aiosmtpd, its own thread) keeping every message in a Maildir,
optionally offering STARTTLS with a self-signed certificate; and `GET /_sim/mail`."""
import datetime as dt
import email
import email.policy
import logging
import mailbox
import ssl
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller

from simulators.http import Answer, Request, json_answer, route
from simulators.state import iso

log = logging.getLogger("simulators")
logging.getLogger("mail.log").setLevel(logging.WARNING)
MAX_MESSAGE = 10 * 1024 * 1024


class MaildirHandler:
    """aiosmtpd handler: each message into the Maildir, with its envelope recorded."""

    def __init__(self, box: "MailBox"):
        self.box = box

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's name)
        head = (f"X-Envelope-From: {envelope.mail_from}\r\n"
                f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
                f"X-Sim-Received-At: {iso(time.time())}\r\n").encode()
        content = envelope.original_content or b""
        self.box.add(head + content)
        log.info("mail: kept a message for %d recipient(s)", len(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class _Controller(Controller):
    def _trigger_server(self):
        if self.port == 0 and self.server is not None:   # port 0: the one the OS chose
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class MailBox:
    def __init__(self, maildir: Path):
        self.path = Path(maildir)
        self.lock = threading.Lock()
        self._box()

    def _box(self) -> mailbox.Maildir:
        """The Maildir, its folders made (private) if missing."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        for sub in ("", "tmp", "new", "cur"):
            (self.path / sub).mkdir(mode=0o700, exist_ok=True)
        return mailbox.Maildir(self.path, create=False)

    def add(self, data: bytes) -> None:
        with self.lock:
            self._box().add(data)

    def clear(self) -> None:
        with self.lock:
            self._box().clear()

    def messages(self, to: str = "") -> list[dict]:
        with self.lock:
            box = self._box()
            raw = [box.get_bytes(key) for key in box.keys()]
        found = []
        for data in raw:
            parsed = _parse(data)
            if parsed is None:
                continue
            if to and to.lower() not in parsed.pop("_to_all").lower():
                continue
            parsed.pop("_to_all", None)
            found.append(parsed)
        found.sort(key=lambda m: m["received_at"])
        return found


def _parse(data: bytes) -> dict | None:
    try:
        msg = email.message_from_bytes(data, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        text = body.get_content().replace("\r\n", "\n") if body is not None else ""
        return {"message_id": str(msg.get("Message-ID", "")), "from": str(msg.get("From", "")),
                "to": str(msg.get("To", "")), "subject": str(msg.get("Subject", "")),
                "text": text, "received_at": str(msg.get("X-Sim-Received-At", "")),
                "attachments": [{"name": part.get_filename() or "",
                                 "type": part.get_content_type(),
                                 "size": len(part.get_payload(decode=True) or b""),
                                 "magic": (part.get_payload(decode=True) or b"")[:8].hex()}
                                for part in msg.iter_attachments()],
                "_to_all": " ".join(str(msg.get(h, "")) for h in ("To", "Cc",
                                                                  "X-Envelope-To"))}
    except Exception:
        log.exception("mail: a message could not be parsed")
        return None


def tls_context(folder: Path) -> ssl.SSLContext:
    """A server context with a self-signed certificate for localhost, made once."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    if not (cert.exists() and key.exists()):
        _make_certificate(folder, cert, key)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def _make_certificate(folder: Path, cert: Path, key: Path) -> None:
    import ipaddress
    import os

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(private.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .sign(private, hashes.SHA256()))
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(private.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def smtp_server(box: MailBox, host: str, port: int, tls: ssl.SSLContext | None) -> _Controller:
    kwargs = {"tls_context": tls, "require_starttls": False} if tls else {}
    return _Controller(MaildirHandler(box), hostname=host, port=port,
                       server_hostname="kefu-sim.localhost", data_size_limit=MAX_MESSAGE,
                       **kwargs)


def listing(sim, req: Request) -> Answer:
    found = sim.mailbox.messages(req.query.get("to", ""))
    return json_answer({"messages": found, "count": len(found)})


ROUTES = [route("GET", r"/_sim/mail", listing)]
