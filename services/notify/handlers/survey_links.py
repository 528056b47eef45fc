"""Survey links in customers' messages (V3, N5): the message after a resolution waits
queued with what to ask the survey service (`link_request`) until this filler has its
personal link, `<PUBLIC_BASE_URL>/s/<token>` (the gateway's public survey page).

- The link is asked with the message's id as the idempotency key: asked again (an
  answer lost, a redelivered event finding its message) it is the same link.
- The survey service cannot answer (down, slow, no link secret): the message stays
  queued and is asked again after the sender's back-off (policy.retry_delay, capped at
  an hour), for as long as it takes — it never goes without its link, and is not lost.
  A round stops at the first such failure (the rest wait their back-off too), so an
  outage costs one timeout a round.
- The survey service answers NotFound (no published questionnaire of that name): the
  message goes as the plain thank-you the template makes without a link.  Invalid (a
  bad value — or a survey service of another version during a deploy) is asked again
  with back-off INVALID_TRIES times before the message goes without its link.
"""
import logging

from services.common.errors import Invalid, NotFound
from services.common.rpc import call
from services.notify.domain import policy
from services.notify.domain import templates as rules
from services.notify.store import messages as store
from services.notify.store import templates as templates_store

log = logging.getLogger(__name__)
LINK_TIMEOUT = 5.0
PAGE = 50
VARIABLE = "survey_link"
INVALID_TRIES = 6  # a refused request is asked again this often (~3 min) before it goes


def survey_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/s/{token}"


def fill(db, surveys, base_url: str) -> int:
    """One round: how many waiting messages were settled (a link, or none for good)."""
    with db.transaction() as tx:
        rows = store.waiting_for_links(tx.cur, PAGE)
        done = 0
        for i, row in enumerate(rows):
            try:
                link = call(surveys.issue_survey_link, row["link_request"],
                            idempotency_key=row["id"], timeout=LINK_TIMEOUT)
                url = survey_url(base_url, link["token"])
            except NotFound as exc:  # none published of that name, the customer gone
                log.warning("message %s goes without a survey link: %r", row["id"], exc)
                url = ""
            except Invalid as exc:  # a survey of another version (a rolling deploy)?
                if row["link_tries"] + 1 < INVALID_TRIES:
                    log.warning("message %s: survey link refused (%r), asked again later",
                                row["id"], exc)
                    store.link_later(tx.cur, [(row["id"],
                                               policy.retry_delay(row["link_tries"] + 1))])
                    continue
                log.warning("message %s goes without a survey link: %r", row["id"], exc)
                url = ""
            except Exception as exc:  # noqa: BLE001 — the survey service down or slow
                log.warning("survey links not issued now (%r): %d messages wait", exc,
                            len(rows) - i)
                store.link_later(tx.cur, [(r["id"], policy.retry_delay(r["link_tries"] + 1))
                                          for r in rows[i:]])
                break
            _with_link(tx.cur, row, url)
            done += 1
    return done


def _with_link(cur, row: dict, url: str) -> None:
    """The message's parameters, subject and text rendered again with its link."""
    t = templates_store.get(cur, row["template_id"])
    params = {**row["params"], VARIABLE: url}
    store.fill_link(cur, row["id"], params,
                    rules.render(t["subject"], params, t["variables"], "subject"),
                    rules.render(t["body"], params, t["variables"]))
