"""One simulator: the HTTP server, the receipt sender and the SMTP server, started and
stopped together (threads of this process)."""
import logging
import threading
import time
from pathlib import Path

from simulators import control, hooks, mail, robots, secrets, sms_aliyun, sms_tencent
from simulators.http import Server, require_loopback, split_address
from simulators.receipts import ReceiptSender
from simulators.state import State

log = logging.getLogger("simulators")
ROUTES = (sms_aliyun.ROUTES + sms_tencent.ROUTES + robots.ROUTES + hooks.ROUTES
          + mail.ROUTES + control.ROUTES)


class Simulator:
    def __init__(self, http: str, smtp: str | None, callback_base: str, secrets_dir: Path,
                 maildir: Path, smtp_tls: bool = False):
        host, port = split_address(http)
        require_loopback(host)
        smtp_address = split_address(smtp) if smtp else None
        if smtp_address:
            require_loopback(smtp_address[0])
        self.callback_base = (callback_base or "").rstrip("/")
        self.secrets = secrets.load(Path(secrets_dir))
        self.state = State()
        self.receipts = ReceiptSender(self)
        self.mailbox = mail.MailBox(Path(maildir))
        self.httpd = Server((host, port), self, list(ROUTES))
        self.smtpd = None
        if smtp_address:
            tls = mail.tls_context(Path(maildir).parent / "smtp-tls") if smtp_tls else None
            self.smtpd = mail.smtp_server(self.mailbox, *smtp_address, tls)
        self._http_thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                             name="sim-http", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}" if ":" not in host else f"http://[{host}]:{port}"

    @property
    def smtp_port(self) -> int | None:
        return self.smtpd.port if self.smtpd else None

    def start(self) -> "Simulator":
        if self.smtpd:
            try:
                self.smtpd.start()
            except BaseException:
                self.httpd.server_close()
                raise
        self.receipts.start()
        self._http_thread.start()
        log.info("simulators: http %s, smtp %s", self.url, self.smtp_port)
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.smtpd:
            self.smtpd.stop()
        self.receipts.stop()

    def reset(self) -> None:
        """Forget everything received (SMS, robots and their secrets, hooks, mail,
        pending receipts, counters); the default behaviour.  Secrets stay."""
        self.receipts.clear()
        self.state.reset()
        self.mailbox.clear()

    def keep_sms(self, records: list[dict]) -> None:
        """Accepted SMS: kept, and their receipts scheduled; then, when `answer_delay_ms`
        is set, the answer waits (a slow provider: the fault tier kills notify while the
        provider has taken a batch it has not answered yet)."""
        self.state.keep_sms(records)
        with self.state.lock:
            delay = self.state.config["receipt_delay_ms"]
            slow = self.state.config["answer_delay_ms"]
        self.receipts.schedule(records, delay)
        if slow:
            time.sleep(slow / 1000)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
