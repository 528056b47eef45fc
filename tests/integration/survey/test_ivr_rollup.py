"""V3/V4: the keypad's offered and rated calls, read from the daily rollup the offer
trigger keeps (migration 0006, bench P13), equal a plain reference computation over the
offers themselves — inserted rated, inserted unrated and rated later, over months, weeks
and days in China — and an offer's counted dimensions cannot change."""
import collections
import datetime
import os
import random

import psycopg2
import psycopg2.extras
import pytest

from services.survey.contract import answers as an
from services.survey.domain import satisfaction as rules
from tests.integration.survey.test_questionnaires import unique
from tests.unit.survey.test_satisfaction import SHANGHAI


@pytest.fixture
def db():
    conn = psycopg2.connect(os.environ["KEFU_SURVEY_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    yield conn.cursor()
    conn.close()


@pytest.fixture
def manager(rpc, start):
    start("survey", SURVEY_LINK_SECRET=unique("secret"))
    return rpc("survey", roles=("manager",))


def period_of(moment: datetime.datetime, period: str) -> str | None:
    day = moment.astimezone(SHANGHAI).date()
    if period == "all":
        return None
    if period == "week":
        day -= datetime.timedelta(days=day.weekday())
    elif period == "month":
        day = day.replace(day=1)
    return day.isoformat()


def reference(offers: list[dict], by: tuple[str, ...], period: str) -> dict:
    fields = {"agent": "agent_id", "kind": "ticket_kind", "category": "category_id"}
    out: dict = collections.defaultdict(lambda: [0, 0])
    for o in offers:
        key = (period_of(o["offered_at"], period),
               *(o[fields[d]] if d in by else None for d in ("agent", "kind", "category")))
        out[key][0] += 1
        out[key][1] += int(o["rated"])
    return {k: tuple(v) for k, v in out.items()}


@pytest.mark.parametrize(("by", "period"), [
    ((), "all"), (("agent",), "month"), (("kind",), "week"), (("agent", "category"), "day")])
def test_v4_keypad_shares_equal_a_plain_reference_over_the_offers(manager, db, by, period):
    group, rng = unique("组"), random.Random(len(by) * 10 + len(period))
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    offers = []
    for i in range(600):
        offers.append({
            "call_id": f"{group}-{i}", "agent_id": rng.choice(["a1", "a2", "a3", None]),
            "ticket_kind": rng.choice(["complaint", "consultation"]),
            "category_id": rng.choice(["c1", "c2", None]),
            "offered_at": start + datetime.timedelta(minutes=rng.randrange(0, 200 * 1440)),
            "rated": rng.random() < 0.6})
    psycopg2.extras.execute_values(
        db, "INSERT INTO ivr_offer (call_id, agent_id, group_name, ticket_kind, category_id,"
        " offered_at, rated) VALUES %s",
        [(o["call_id"], o["agent_id"], group, o["ticket_kind"], o["category_id"],
          o["offered_at"], o["rated"] and i % 2 == 0) for i, o in enumerate(offers)])
    later = [o["call_id"] for i, o in enumerate(offers) if o["rated"] and i % 2 == 1]
    db.execute("UPDATE ivr_offer SET rated = true WHERE call_id = ANY(%s)", (later,))
    db.execute("UPDATE ivr_offer SET rated = true WHERE call_id = ANY(%s)", (later,))  # again
    reply = manager.satisfaction({"by": list(by), "period": period, "group_name": group})
    assert an.Satisfaction().dump(reply) == reply    # the contract's shape, as built
    keys = [tuple(r[k] for k in rules.KEY_FIELDS[:5]) for r in reply["ivr"]]
    assert keys == sorted(keys, key=rules.sort_key)    # nulls first, then by value
    got = reply["ivr"]
    shares = {(r["period"], r["agent_id"], r["ticket_kind"], r["category_id"]):
              (r["offered"], r["rated"]) for r in got}
    assert len(shares) == len(got)
    assert shares == reference(offers, by, period)


def test_v4_an_offers_counted_dimensions_and_rating_cannot_go_back(manager, db):
    call = unique("call")
    db.execute("INSERT INTO ivr_offer (call_id, agent_id, group_name, rated)"
               " VALUES (%s, 'a1', %s, true)", (call, unique("组")))
    for change in ("agent_id = 'a2'", "rated = false", "offered_at = now() - interval '9 days'"):
        with pytest.raises(psycopg2.IntegrityError):
            db.execute(f"UPDATE ivr_offer SET {change} WHERE call_id = %s", (call,))  # noqa: S608
