"""week1.report and week1.ci-init on small targets: refusals and broken inputs."""

from __future__ import annotations

from mt_testkit import run_cli


def test_report_refuses_to_overwrite_a_file_that_is_not_a_report(tmp_path):
    env = tmp_path / ".env"
    env.write_text("POSTGRES_PASSWORD=keepme-keepme-keepme\n")
    res = run_cli("week1.report", "--target", str(tmp_path), "--output", ".env", cwd=tmp_path)
    assert res.returncode == 2
    assert "not a week-1 report" in res.stderr
    assert env.read_text() == "POSTGRES_PASSWORD=keepme-keepme-keepme\n"


def test_report_rewrites_its_own_file(tmp_path):
    first = run_cli("week1.report", "--target", str(tmp_path))
    assert first.returncode == 0, first.stdout + first.stderr
    report = tmp_path / "WEEK1_REPORT.md"
    assert report.read_text().startswith("# Week 1 Summary")
    again = run_cli("week1.report", "--target", str(tmp_path))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "unknown" in report.read_text()  # no baseline was ever recorded here


def test_ci_init_on_a_workflow_that_is_not_a_mapping_is_an_unmet_criterion(tmp_path):
    workflow = tmp_path / ".github" / "workflows" / "maestro-week1.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("- a\n")
    res = run_cli("week1.ci-init", "--target", str(tmp_path), "--check")
    assert res.returncode == 1
    assert "Traceback" not in res.stderr
    assert "no jobs.week1.steps list" in res.stdout
    fixed = run_cli("week1.ci-init", "--target", str(tmp_path))
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
