"""The survey service's public face (follow-ups, questionnaires, campaigns — S1–S5).

RPC (service name "survey"):
  health() -> {"service": "survey", "ok": true}   public
Its database, migrations, metrics and health are in place; its business
operations arrive with their own issue.
"""

SERVICE = "survey"
