"""R3: the daily report 日报 — made by the report service once per day (two replicas,
one report), e-mailed by notify with its curve attached to the set addresses, and told
to a subscribed group robot; the counts are the rollups' (here: a plain sum over the
report's own facts of the day)."""
import datetime
import os
import time
import uuid
from zoneinfo import ZoneInfo

import psycopg2
import psycopg2.extras

from tests.integration.notify.conftest import unique, wait_for

CHINA = ZoneInfo("Asia/Shanghai")


def report_rows(statement, *params):
    conn = psycopg2.connect(os.environ["KEFU_REPORT_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def yesterday() -> datetime.date:
    return datetime.datetime.now(CHINA).date() - datetime.timedelta(days=1)


def test_r3_the_daily_report_is_mailed_once_with_its_curve_and_told_to_a_robot(
        notify, start, sim, rpc):
    day = yesterday()
    address = f"{unique('mgr')}@example.com"
    notify()
    admin = rpc("notify", roles=("admin",))
    settings = admin.update_settings({"daily_report_emails": [address]})
    assert settings["daily_report_emails"] == [address]
    robot_token = uuid.uuid4().hex
    admin.save_target({"kind": "robot", "name": unique("robot"), "events": ["daily_report"],
                       "url": f"{sim.url}/dingtalk/robot/send?access_token={robot_token}",
                       "markdown": True})
    # A ticket of yesterday in the report's facts (a rollup row of its own kind), so the
    # text has a count that is not zero to compare.
    created = report_rows("SELECT coalesce(sum(created), 0)::int AS n FROM ticket_day_kind"
                          " WHERE day = %s", day)[0]["n"]
    report_rows("DELETE FROM daily_report WHERE day = %s", day)
    try:
        start("report", REPORT_DAILY_HOUR=0)   # eager: the report of yesterday at start
        start("report", REPORT_DAILY_HOUR=0)   # a second replica: no second report
        [mail] = wait_for(lambda: sim.mail(address), timeout=30)
        assert mail["subject"].startswith(f"客服日报 {day.isoformat()}")
        assert f"新建工单 {created}" in mail["text"]
        assert [(a["name"], a["type"], a["magic"]) for a in mail["attachments"]] == [
            ("趋势.png", "image/png", "89504e470d0a1a0a")]
        assert mail["attachments"][0]["size"] > 5000
        robots = wait_for(lambda: [r for r in sim.get("/_sim/robots")["messages"]
                                   if r.get("token") == robot_token])
        assert len(robots) == 1 and f"客服日报 {day.isoformat()}" in str(robots[0]["content"])
        # one day, one report: the row, and no second mail after both replicas ran
        assert len(report_rows("SELECT day FROM daily_report WHERE day = %s", day)) == 1
        time.sleep(2)
        assert len(sim.mail(address)) == 1
    finally:
        admin.update_settings({"daily_report_emails": []})
