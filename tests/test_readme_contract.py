"""The README's first lines stay true: .ci/run ends with exactly the README's test command."""

from __future__ import annotations

from mt_testkit import REPO


def readme_commands() -> tuple[str, str]:
    text = (REPO / "README.md").read_text()
    block = text.split("```bash\n", 1)[1].split("```", 1)[0]
    lines = [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]
    demo, tests = lines[:2]
    return demo, tests


def test_readme_opens_with_demo_and_test_commands():
    head = (REPO / "README.md").read_text().splitlines()[:6]
    assert any("invoke demo" in line for line in head)
    assert any("pytest" in line for line in head)


def test_ci_runs_exactly_the_readme_test_command():
    _, tests = readme_commands()
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert tests in ci_lines
    # It is the last command CI runs, so its exit code is CI's.
    assert [line for line in ci_lines if line and not line.startswith("#")][-1] == tests
