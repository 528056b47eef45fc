"""Rebuild from the owners and the check against them (R4).

A rebuild is asked for and runs in the background (state queued -> running -> done),
page by page of the ticket service's `report_tickets`, then `report_calls` and
`report_contacts` (`phase` tells which; `correct` at the end); `tickets`, `calls` and
`contacts` count the records read, `removed` the facts the owner no longer had.  A run
that fails goes back to queued (`error` naming the failure) and is taken again after a
back-off, from its position, until it is done (`failed` is kept in the states for older
runs).  The figures
are approximate while a rebuild runs: its pages replace facts without touching the
rollups, which it corrects at its end.

The check (at most 31 days; Unavailable when the ticket service cannot count now)
compares ticket_day_kind with the ticket service's own counts per day and kind
(`report_ticket_counts`): measures created, resolved, closed, cancelled,
reopened_tickets, repeats, response_breached, resolution_breached; and the call rollups
with its call counts per day (`report_call_counts`), kind "calls": measures offered,
answered, abandoned, outbound.  The survey's keypad offers per day
(`report_ivr_offer_counts`), kind "ivr_offers": offered, rated; and each campaign on
its China start day (`report_invitation_counts`), kind "campaign <id>": total, called,
invited, accepted, came, with_outcome, satisfied.
"""
from marshmallow import Schema, fields

STATES = ("queued", "running", "done", "failed")
# handlers/rebuild.py SOURCES, in order, then the correction
PHASES = ("tickets", "calls", "contacts", "dispatches", "followups", "answers", "notifications",
          "ivr_offers", "invitations", "correct")


class Rebuild(Schema):
    id = fields.String()
    generation = fields.Integer()
    state = fields.String(metadata={"enum": STATES})
    requested_by = fields.String()
    requested_at = fields.AwareDateTime()
    started_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)
    phase = fields.String(metadata={"enum": PHASES})
    pages = fields.Integer()
    tickets = fields.Integer()
    calls = fields.Integer()
    contacts = fields.Integer()
    read = fields.Dict(keys=fields.String(), values=fields.Integer(),
                       metadata={"description": "records read per source (phase)"})
    removed = fields.Integer()
    error = fields.String(allow_none=True)


class RebuildQuery(Schema):
    rebuild_id = fields.UUID(load_default=None, allow_none=True,
                             metadata={"description": "none: the newest"})


class CheckQuery(Schema):
    from_day = fields.Date(required=True, data_key="from")
    to_day = fields.Date(required=True, data_key="to")


class Difference(Schema):
    day = fields.Date()
    kind = fields.String()
    measure = fields.String()
    ours = fields.Integer()
    owner = fields.Integer()
    rollup = fields.String()  # the rollup that differs, when not the check's main one


class Check(Schema):
    differences = fields.List(fields.Nested(Difference))

