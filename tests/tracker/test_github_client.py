"""The stdlib GitHub client against the fake server: pagination, rate limits, refusals, auth."""

from __future__ import annotations

import os
import stat

import pytest
from tracker_kit import TOKEN

from maestro_tasks.tracker.github import (
    GitHub, GitHubError, RateLimited, api_url, resolve_token,
)
from maestro_tasks.tracker.repo import parse_remote


def client(fake, **kw):
    return GitHub(TOKEN, fake.url, **kw)


def test_issues_are_listed_across_pages_open_and_closed_without_pull_requests(fake):
    for i in range(7):
        fake.add_issue(f"bug {i}", state="closed" if i % 3 == 0 else "open")
    fake.add_issue("a pull request", pull_request=True)
    issues = client(fake).issues("acme/maestro-ml")
    assert sorted(i["title"] for i in issues) == sorted(f"bug {i}" for i in range(7))
    gets = [r for r in fake.requests if r["path"].endswith("/issues")]
    assert len(gets) == 3  # 8 items, pages of 3: the Link header was followed
    assert gets[0]["query"]["state"] == "all"


def test_a_link_off_the_api_origin_is_not_followed(fake):
    gh = client(fake)
    with pytest.raises(GitHubError, match="off the API origin"):
        gh.request("GET", "http://203.0.113.9/repos/acme/maestro-ml/issues")


def test_a_redirect_off_the_api_origin_does_not_carry_the_token(fake):
    from fake_github import FakeGitHub

    with FakeGitHub(TOKEN) as elsewhere:
        fake.redirect_to = elsewhere.url
        with pytest.raises(GitHubError, match="answered 302"):
            client(fake).labels("acme/maestro-ml")
        assert elsewhere.requests == []


def test_rate_limit_waits_for_the_reset_and_gives_up_when_bounded(fake):
    waits = []
    fake.rate_limit_next = 1
    fake.rate_limit_reset_in = 30
    gh = client(fake, sleep=waits.append)
    assert gh.labels("acme/maestro-ml") == []
    assert len(waits) == 1 and 29 <= waits[0] <= 32  # until x-ratelimit-reset, plus a second

    fake.rate_limit_next = 100
    waits.clear()
    gh = client(fake, sleep=waits.append, max_retries=3)
    with pytest.raises(RateLimited, match="still refused after 3 retries"):
        gh.labels("acme/maestro-ml")
    assert len(waits) == 3

    fake.rate_limit_next = 100
    waits.clear()
    gh = client(fake, sleep=waits.append, max_retries=10, max_wait_s=45)
    with pytest.raises(RateLimited):
        gh.labels("acme/maestro-ml")
    assert sum(waits) <= 45  # the total wait is bounded too


@pytest.mark.parametrize("status, headers, body, wait", [
    (403, {"retry-after": "7"}, None, 7.0),
    (429, {}, None, 60.0),
    (403, {}, {"message": "You have exceeded a secondary rate limit."}, 60.0),
    (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1010"}, None, 11.0),
    (403, {"x-ratelimit-remaining": "12"}, {"message": "Resource not accessible"}, None),
    (404, {"retry-after": "5"}, None, None),
])
def test_backoff_follows_the_headers(status, headers, body, wait):
    gh = GitHub(TOKEN, "https://api.github.com", clock=lambda: 1000.0)
    assert gh.backoff(status, headers, body) == wait


def test_refusals_become_one_line_errors_with_a_hint_and_no_token(fake):
    gh = GitHub("wrong-" + TOKEN, fake.url)
    with pytest.raises(GitHubError) as info:
        gh.labels("acme/maestro-ml")
    assert info.value.status == 401 and "Bad credentials" in str(info.value)
    assert TOKEN not in str(info.value) and "GH_TOKEN" in info.value.hint
    with pytest.raises(GitHubError, match="answered 404"):
        client(fake).labels("acme/elsewhere")


def test_an_unreachable_api_is_a_clear_error():
    gh = GitHub(TOKEN, "http://127.0.0.1:9", timeout=5)
    with pytest.raises(GitHubError, match="cannot reach the GitHub API"):
        gh.labels("acme/maestro-ml")


def test_api_url_from_the_environment_and_plain_http_only_to_loopback():
    assert api_url({}) == "https://api.github.com"
    assert api_url({"GITHUB_API_URL": "https://ghe.example/api/v3/"}) == "https://ghe.example/api/v3"
    assert api_url({"GITHUB_API_URL": "http://127.0.0.1:8080"}) == "http://127.0.0.1:8080"
    with pytest.raises(GitHubError, match="only allowed to a loopback"):
        api_url({"GITHUB_API_URL": "http://ghe.example/api/v3"})


def test_token_order_gh_token_then_github_token_then_the_gh_cli(tmp_path):
    gh = tmp_path / "gh"
    gh.write_text("#!/bin/sh\n[ \"$1 $2\" = 'auth token' ] && echo from-the-gh-cli\n")
    gh.chmod(gh.stat().st_mode | stat.S_IXUSR)
    which = {"gh": str(gh)}.get
    assert resolve_token({"GH_TOKEN": "a", "GITHUB_TOKEN": "b"}, which) == ("a", "GH_TOKEN")
    assert resolve_token({"GH_TOKEN": " ", "GITHUB_TOKEN": "b"}, which) == ("b", "GITHUB_TOKEN")
    assert resolve_token({}, which) == ("from-the-gh-cli", "gh auth token")
    assert resolve_token({}, lambda name: None) == (None, "")
    failing = tmp_path / "gh-failing"
    failing.write_text("#!/bin/sh\necho 'not logged in' >&2\nexit 1\n")
    failing.chmod(0o755)
    assert resolve_token({}, {"gh": str(failing)}.get) == (None, "")
    assert os.access(gh, os.X_OK)


@pytest.mark.parametrize("url, repo", [
    ("https://github.com/acme/maestro-ml.git", "acme/maestro-ml"),
    ("https://github.com/acme/maestro-ml", "acme/maestro-ml"),
    ("https://user:secret@github.com/acme/maestro-ml.git", "acme/maestro-ml"),
    ("git@github.com:acme/maestro-ml.git", "acme/maestro-ml"),
    ("ssh://git@github.com/acme/maestro-ml.git", "acme/maestro-ml"),
    ("ssh://git@github.com:22/acme/maestro-ml", "acme/maestro-ml"),
    ("git@github.com:acme/maestro-ml/", "acme/maestro-ml"),
    ("https://github.com/acme", None),
    ("/srv/git/maestro.git", None),
    ("file:///srv/git/acme/maestro", None),
    ("", None),
])
def test_the_repository_is_read_from_remote_urls(url, repo):
    assert parse_remote(url) == repo
