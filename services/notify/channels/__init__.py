"""The outside channels notify sends through (N1), each behind one small interface.

    channel.send([Outgoing, ...], attempt_id) -> [Result, ...]   one per message, in order

Adapters: SMS shaped like Alibaba Cloud's and Tencent Cloud's APIs (sms_aliyun,
sms_tencent), email over SMTP (email), the group robots of DingTalk, WeCom and Feishu
(robots) and signed outgoing webhooks (webhooks).  The wire formats are in
docs/providers.md; the local simulator (simulators/) answers all of them.  Adapters do
I/O and know their provider's codes; which message to send, when, and what a result
means for the message are the handlers' and domain's.

Beside them: factory (the channels from notify's config and secrets), signing (every
HMAC of the wire formats), transport (HTTP with timeouts and a size cap), callbacks
(reading the providers' pushes) and masking (no whole phone or email in logs or
results).  A "retry" result with maybe_taken set may have reached the provider: an SMS
is settled with SmsProvider.taken before it is sent again.
"""
