"""`python -m bench`: scenario order and RESULTS.md sections kept across partial runs."""
import importlib

runner = importlib.import_module("bench.__main__")


def test_import_runs_last_and_notes_stay_at_the_end():
    assert runner.ordered(["p7", "p12", "notes", "p2", "p9", "p1"]) == [
        "p1", "p2", "p9", "p7", "p12", "notes"]


def test_a_section_is_stamped_under_its_heading():
    text = runner.stamp("## P9 — search\n\nfigures\n", "2026-01-01 00:00 UTC", "make bench")
    assert text.splitlines()[:4] == [
        "## P9 — search", "", "_Measured 2026-01-01 00:00 UTC by `make bench`._", ""]


def test_sections_not_run_are_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "RESULTS", tmp_path / "RESULTS.md")
    runner.write_results({"p1": "## P1\n\nold p1\n", "p2": "## P2\n\nold p2\n",
                          "notes": "## Reading\n\nby hand\n"}, "then", "make bench")
    sections = runner.read_sections()
    sections["p2"] = "## P2\n\nnew p2\n"
    runner.write_results(sections, "now", "python -m bench p2")
    again = runner.read_sections()
    assert "old p1" in again["p1"] and "new p2" in again["p2"] and "by hand" in again["notes"]
    assert "Last run: now" in runner.RESULTS.read_text()


def test_missing_scenario_is_skipped(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "RESULTS", tmp_path / "RESULTS.md")
    assert runner.main(["p99"]) == 0
    assert "p99: no bench/p99_*.py yet — skipped" in capsys.readouterr().out
    assert not runner.RESULTS.exists()


def test_ticket_scenarios_run_before_the_import():
    assert runner.ordered(["p7", "p5", "p3", "p1", "p6"]) == ["p1", "p3", "p5", "p7", "p6"]
    assert {"p1", "p3", "p5"} <= set(runner.OVER_TICKETS)
