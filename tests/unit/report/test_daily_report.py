"""R3: the daily report 日报 — which day is due, its text from the figures (counts only),
its curve's lines."""
import datetime

from services.report.contract.daily_report import DailyReport
from services.report.domain import daily_report as rules

CHINA = datetime.timezone(datetime.timedelta(hours=8))


def point(day, **counts):
    base = dict.fromkeys(("created", "resolved", "closed", "same_day", "fcr", "repeats",
                          "response_breached", "resolution_breached", "reopened"), 0)
    return {"period": day, **base, "response_mean": None, "resolution_mean": None,
            **counts}


class TestDue:
    def test_r3_yesterday_in_china_once_the_hour_has_come(self):
        before = datetime.datetime(2026, 12, 7, 7, 59, tzinfo=CHINA)
        after = datetime.datetime(2026, 12, 7, 8, 0, tzinfo=CHINA)
        assert rules.due_day(before, 8) is None
        assert rules.due_day(after, 8) == datetime.date(2026, 12, 6)

    def test_r3_the_day_is_chinas_not_utcs(self):
        # 2026-12-06 23:30 UTC is 07:30 on the 7th in China: before 8, nothing;
        # 2026-12-07 00:30 UTC is 08:30 on the 7th: the 6th is due.
        assert rules.due_day(datetime.datetime(2026, 12, 6, 23, 30, tzinfo=datetime.UTC), 8) \
            is None
        assert rules.due_day(datetime.datetime(2026, 12, 7, 0, 30, tzinfo=datetime.UTC), 8) \
            == datetime.date(2026, 12, 6)

    def test_r3_the_trend_is_the_30_days_ending_on_the_day(self):
        first, last = rules.trend_range(datetime.date(2026, 12, 6))
        assert (last - first).days == 29 and last == datetime.date(2026, 12, 6)


class TestText:
    def test_r3_the_text_states_the_days_counts(self):
        day = datetime.date(2026, 12, 6)
        report = rules.compose(day, point(day, created=41, resolved=30, same_day=12, fcr=15,
                                          response_breached=2, resolution_mean=5400.0),
                               {"complaint": 6, "consultation": 35, "suggestion": 0}, 17)
        assert report["subject"] == "客服日报 2026-12-06（星期日）"
        assert "新建工单 41（咨询 35，投诉 6）" in report["text"]
        assert "已解决 30，其中当日解决 12，一次解决 15（一次解决率 50.0%）" in report["text"]
        assert "响应超时 2，处理超时 0" in report["text"]
        assert "平均首次响应 —，平均解决 90.0 分钟" in report["text"]
        assert "日终未结工单 17" in report["text"]
        assert report["markdown"].startswith("### 客服日报 2026-12-06")
        assert report["figures"]["created"] == 41 and report["figures"]["backlog"] == 17

    def test_r3_a_quiet_day_reads_as_zeros_and_dashes(self):
        day = datetime.date(2026, 12, 5)
        report = rules.compose(day, point(day), {}, 0)
        assert "新建工单 0\n" in report["text"]
        assert "一次解决率 —" in report["text"]

    def test_r3_the_report_fits_its_event_schema(self):
        day = datetime.date(2026, 12, 6)
        report = rules.compose(day, point(day, created=3), {"complaint": 3}, 1)
        loaded = DailyReport().load(DailyReport().dump({**report, "chart_png": None}))
        assert loaded["day"] == day and loaded["figures"]["created"] == 3

    def test_r3_the_curve_has_created_and_resolved_per_day(self):
        days = [datetime.date(2026, 12, 5), datetime.date(2026, 12, 6)]
        labels, lines = rules.chart_lines([point(days[0], created=4, resolved=1),
                                           point(days[1], created=2, resolved=5)])
        assert labels == ["12-05", "12-06"]
        assert lines == [("新建", [4, 2]), ("已解决", [1, 5])]
