"""The gateway 网关 — its contract index: every RPC and every event.

The gateway's public face is HTTP (its routes, in service.py, and the OpenAPI
document built from them); as an RPC service it answers only `health`.  It owns
the staff accounts and publishes their changes.  Areas, each with its schemas in
its own module:
  login   sign-in, the bearer token, a password change — contract/login.py
  staff   staff accounts and groups — contract/staff.py
  duties  staff changes waiting for a second admin, the audit — contract/duties.py
  health  /healthz — contract/health.py
  errors  the one error body of every HTTP answer — contract/errors.py
  events  what it publishes — contract/events.py
"""
from services.common.contracts import Contract, Event
from services.vocabulary import StaffChanged

SERVICE = "gateway"

CONTRACT = Contract(
    SERVICE,
    events=[
        # the account as it is now, with its version (read by services keeping staff)
        Event("staff_created", StaffChanged),
        Event("staff_updated", StaffChanged),
    ],
)
