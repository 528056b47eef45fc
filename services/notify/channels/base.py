"""What every channel adapter takes and answers (see channels/__init__.py)."""
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

# sent: the provider took it (provider_id set); retry: a temporary error, try again
# later; throttled: the provider's rate limit, slow down and try again; failed: a
# permanent error (invalid number, blacklisted, unknown template), never retried.
Outcome = Literal["sent", "retry", "throttled", "failed"]


@dataclass(frozen=True)
class Outgoing:
    """One message to one recipient, ready to go."""

    message_id: str            # ours (uuid text); OutId / SessionContext / Message-ID
    address: str               # E.164 phone, email address, robot webhook URL, webhook URL
    text: str                  # the rendered text (SMS: for the record; the provider renders)
    subject: str = ""          # email subject, robot markdown title
    template_code: str = ""    # SMS: the provider's template code / id
    sign_name: str = ""        # SMS: the approved signature 签名
    params: dict = field(default_factory=dict)  # SMS template parameters, by name
    param_order: tuple = ()    # SMS (Tencent): the names in the template's positional order
    markdown: bool = False     # robots: markdown instead of text
    secret: str = ""           # robots and webhooks: the signing secret of this target
    event: str = ""            # webhooks: the event name


@dataclass(frozen=True)
class Result:
    message_id: str
    outcome: Outcome
    provider_id: str = ""      # the provider's id (BizId, SerialNo, Message-ID)
    code: str = ""             # the provider's code, as answered
    detail: str = ""           # its message, for the record (no phone numbers)
    # retry only: the request may have reached the provider (a read timeout, a connection
    # cut after the request went out, an unreadable answer) — it may have been taken.  An
    # SMS is settled with `taken` before it is sent again; other channels may repeat.
    maybe_taken: bool = False


@dataclass(frozen=True)
class Receipt:
    """A delivery report from the provider."""

    provider_id: str           # BizId / SerialNo as answered at sending
    phone: str                 # E.164
    out_id: str                # OutId / SessionContext (ours), "" if absent
    delivered: bool
    code: str
    at: datetime | None


@dataclass(frozen=True)
class Uplink:
    """A customer's reply to an SMS (退订 / TD opts out)."""

    phone: str                 # E.164
    text: str
    at: datetime | None


class ChannelError(Exception):
    """The provider could not be asked (SmsProvider.taken): nothing is known, ask again
    later — never read as "not taken"."""


class Channel(Protocol):
    name: str                  # "sms", "email", "robot", "webhook"
    batch_size: int            # most messages one send() takes

    def send(self, batch: list[Outgoing], attempt_id: str) -> list[Result]:
        """One result per message, in order.  `attempt_id` names this try of this batch
        (recorded on each message before the call): a batch request's OutId /
        SessionContext, so a send cut short by a crash can be settled by `taken`."""
        ...


class SmsProvider(Channel, Protocol):
    provider: str              # "aliyun", "tencent"
    callback_answer: dict      # the JSON the provider expects back from a callback

    def taken(self, messages: list[Outgoing], attempt_id: str,
              since: datetime) -> dict[str, str]:
        """Of messages whose send started at `since` under `attempt_id` and whose
        outcome is unknown (the sender died), those the provider did take:
        {message_id: provider_id}.  Asked before any is sent again.  Raises ChannelError
        when the provider cannot be asked."""
        ...

    def verify_callback(self, headers: dict, body: bytes) -> bool:
        """Whether a callback's X-Provider-Signature is right and fresh."""
        ...

    def receipts(self, body: bytes) -> list[Receipt]:
        """The delivery reports of a receipts callback; ValueError if not its JSON shape."""
        ...

    def uplinks(self, body: bytes) -> list[Uplink]:
        """The customers' replies of an uplink callback; ValueError if not its JSON shape."""
        ...
