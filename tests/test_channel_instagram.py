"""Instagram adapter against the fake Graph API (both flavours), with its failure cases."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from storycast.channels import AmbiguousOutcome, NeedsAuth, PermanentFailure, RetryableFailure
from storycast.channels.http import Redactor
from tests.fakes.graph import FakeGraph
from tests.fakes.meta import IG_USER, FakeMeta, StaticFiles
from tests.fakes.project import channel, jpeg, make_project, request, video

TOKEN = "EAAtesttoken123456"
ENV = {"IG_TOKEN": TOKEN}


@pytest.fixture
def meta() -> Iterator[FakeGraph]:
    fake = FakeGraph(TOKEN).start()
    yield fake
    fake.stop()
    fake.assert_clean()


@pytest.fixture
def static(tmp_path: Path) -> Iterator[StaticFiles]:
    fake = StaticFiles(tmp_path / "proj" / "public").start()
    yield fake
    fake.stop()


def _project(
    tmp_path: Path, meta: FakeMeta, static: StaticFiles, extra: str = "", login: str = "instagram_login"
):
    opts = {
        "login": f'"{login}"',
        "api_base": f'"{meta.url}"',
        "api_version": '"v24.0"',
        "ig_user_id": f'"{IG_USER}"',
        "access_token": '"env:IG_TOKEN"',
        "first_poll": "0",
        "poll_interval": "0",
        "poll_timeout": "1",
        "timeout": "0.5",
        "backoff": "0",
    }
    for line in extra.splitlines():
        k, _, v = line.partition("=")
        opts[k.strip()] = v.strip()
    body = "\n".join(f"{k} = {v}" for k, v in opts.items())
    return make_project(
        tmp_path / "proj",
        f"""[channels.ig]
type = "instagram"
{body}
[channels.ig.hosting]
kind = "folder"
folder = "public"
base_url = "{static.url}"
""",
    )


@pytest.mark.parametrize("login", ["instagram_login", "facebook_login"])
def test_image_story_publishes_through_container_poll_publish(tmp_path, meta, static, login):
    ch = channel(_project(tmp_path, meta, static, login=login), "ig", ENV)
    result = ch.publish(request(jpeg(tmp_path / "f1.jpg", 1)))
    assert result.remote_id == meta.stories[0]["id"]
    assert meta.versions == {"v24.0"}
    kinds = [(r.method, r.path.rsplit("/", 1)[-1]) for r in meta.requests]
    assert kinds[-1] == ("POST", "media_publish")
    assert ("GET", "content_publishing_limit") in kinds
    # the hosted copy is removed once the story is live
    assert not any((tmp_path / "proj" / "public").iterdir())
    # the token went in the POST body, never in a URL
    assert all(TOKEN not in r.path and TOKEN not in str(r.query) for r in meta.calls("POST"))


def test_video_story_uses_resumable_upload(tmp_path, meta, static):
    ch = channel(_project(tmp_path, meta, static), "ig", ENV)
    ch.publish(request(video(tmp_path / "v.mp4", 3)))
    upload = meta.calls("POST", "ig-api-upload")
    assert len(upload) == 1 and upload[0].headers["offset"] == "0"
    assert upload[0].headers["authorization"] == f"OAuth {TOKEN}"
    assert len(meta.stories) == 1


def test_tutorial_partial_failure_resumes_without_republishing(tmp_path, meta, static):
    ch = channel(_project(tmp_path, meta, static), "ig", ENV)
    frames = [jpeg(tmp_path / f"f{i}.jpg", i) for i in range(1, 4)]
    reqs = [request(f, index=i, total=3) for i, f in enumerate(frames, 1)]
    ch.publish(reqs[0])
    meta.script("publish", "503")
    with pytest.raises(RetryableFailure):
        ch.publish(reqs[1])
    # the engine retries frame 2 (its container is reused), then frame 3
    ch.publish(reqs[1])
    ch.publish(reqs[2])
    assert len(meta.stories) == 3
    assert (
        len([r for r in meta.calls("POST") if r.path.endswith("/media")]) == 3
    )  # no second container for frame 2


def test_container_error_is_permanent_and_expired_is_retryable(tmp_path, meta, static):
    ch = channel(_project(tmp_path, meta, static), "ig", ENV)
    meta.container_states = ["IN_PROGRESS", "ERROR"]
    with pytest.raises(PermanentFailure, match="ERROR"):
        ch.publish(request(jpeg(tmp_path / "a.jpg", 1)))
    meta.container_states = ["EXPIRED"]
    req = request(jpeg(tmp_path / "b.jpg", 2))
    with pytest.raises(RetryableFailure, match="expired"):
        ch.publish(req)
    meta.container_states = ["FINISHED"]
    ch.publish(req)  # a fresh container replaces the expired one
    assert len(meta.stories) == 1


def test_container_stuck_in_progress_is_retryable_and_resumed(tmp_path, meta, static):
    ch = channel(_project(tmp_path, meta, static, extra="poll_timeout = 0"), "ig", ENV)
    meta.container_states = ["IN_PROGRESS", "IN_PROGRESS", "FINISHED"]
    req = request(jpeg(tmp_path / "a.jpg", 1))
    with pytest.raises(RetryableFailure, match="still IN_PROGRESS"):
        ch.publish(req)
    ch.publish(req)
    assert len([r for r in meta.calls("POST") if r.path.endswith("/media")]) == 1


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (4, RetryableFailure),
        (17, RetryableFailure),
        (613, RetryableFailure),
        (10, NeedsAuth),
        (200, NeedsAuth),
    ],
)
def test_error_codes_map_to_failure_classes(tmp_path, meta, static, code, cls):
    from tests.fakes.meta import meta_error

    ch = channel(_project(tmp_path, meta, static), "ig", ENV)
    meta.script("container", meta_error(code, "nope"))
    with pytest.raises(cls):
        ch.publish(request(jpeg(tmp_path / "a.jpg", 1)))
    assert not meta.stories


def test_expired_token_needs_auth_and_is_redacted(tmp_path, meta, static, caplog):
    caplog.set_level(logging.DEBUG)
    ch = channel(_project(tmp_path, meta, static), "ig", ENV)
    meta.expired = True
    with pytest.raises(NeedsAuth) as info:
        ch.publish(request(jpeg(tmp_path / "a.jpg", 1)))
    assert "code 190" in info.value.message
    assert TOKEN not in str(info.value) and TOKEN not in (info.value.hint or "")
    assert TOKEN not in caplog.text
    assert caplog.records  # the calls were logged, redacted


def test_quota_preflight_defers_or_refuses_the_whole_tutorial(tmp_path, meta, static):
    meta.quota_total = 5
    meta.extra_usage = 3
    ch = channel(_project(tmp_path, meta, static), "ig", ENV)
    frames = [request(jpeg(tmp_path / f"f{i}.jpg", i), index=i, total=3) for i in (1, 2, 3)]
    with pytest.raises(RetryableFailure, match="only 2 of 5") as info:
        ch.publish(frames[0])
    assert info.value.retry_after == 3600
    assert not meta.containers  # not even a container was spent
    refuse = channel(_project(tmp_path, meta, static, extra='on_quota = "refuse"'), "ig", ENV)
    with pytest.raises(PermanentFailure):
        refuse.publish(frames[0])
    meta.extra_usage = 2
    for f in frames:
        ch.publish(f)
    assert len(meta.stories) == 3


def test_throttled_429_carries_retry_after(tmp_path, meta, static):
    ch = channel(_project(tmp_path, meta, static), "ig", ENV)
    meta.script("limit", "429")
    with pytest.raises(RetryableFailure) as info:
        ch.publish(request(jpeg(tmp_path / "a.jpg", 1)))
    assert info.value.retry_after == 7


def test_5xx_on_status_poll_is_retried_in_process(tmp_path, meta, static):
    ch = channel(_project(tmp_path, meta, static), "ig", ENV)
    meta.script("status", "500")
    ch.publish(request(jpeg(tmp_path / "a.jpg", 1)))
    assert len(meta.stories) == 1


def test_timeout_on_publish_resolved_by_container_status(tmp_path, meta, static):
    """The publish went through but the answer was lost: the container says PUBLISHED."""
    ch = channel(_project(tmp_path, meta, static), "ig", ENV)
    meta.script("publish", "hang")
    req = request(jpeg(tmp_path / "a.jpg", 1))
    result = ch.publish(req)
    assert result.remote_id == meta.stories[0]["id"]
    assert ch.lookup(req) is not None
    ch.publish(req)  # a later retry finds it published: no second story
    assert len(meta.stories) == 1


def test_timeout_with_unreadable_container_is_ambiguous(tmp_path, meta, static):
    ch = channel(_project(tmp_path, meta, static, extra="read_retries = 0"), "ig", ENV)
    meta.script("publish", "hang")
    meta.container_states = ["FINISHED"]
    meta.script("status", None, "503")  # the first poll is fine; the check after the timeout fails
    req = request(jpeg(tmp_path / "a.jpg", 1))
    with pytest.raises(AmbiguousOutcome):
        ch.publish(req)
    # reconcile: lookup asks the container, which is PUBLISHED
    found = ch.lookup(req)
    assert found is not None and found.remote_id == meta.stories[0]["id"]


def test_list_recent_and_check(tmp_path, meta, static):
    meta.use_login("facebook_login")
    ch = channel(_project(tmp_path, meta, static, login="facebook_login"), "ig", ENV)
    req = request(jpeg(tmp_path / "a.jpg", 1))
    ch.publish(req)
    posts = ch.list_recent(ch.context.now().replace(year=2020))
    assert [p.remote_id for p in posts] == [meta.stories[0]["id"]]
    assert posts[0].marker == req.idempotency_key
    checks = {c.check: c for c in ch.check()}
    assert checks["token"].ok and checks["permissions"].ok and checks["quota"].ok
    assert "1 of 50" in checks["quota"].detail
    meta.permissions.remove("instagram_content_publish")
    checks = {c.check: c for c in ch.check()}
    assert not checks["permissions"].ok and "instagram_content_publish" in checks["permissions"].detail


def test_missing_secret_is_needs_auth_naming_the_reference(tmp_path, meta, static):
    ch = channel(_project(tmp_path, meta, static), "ig", {})
    with pytest.raises(NeedsAuth, match="IG_TOKEN"):
        ch.publish(request(jpeg(tmp_path / "a.jpg", 1)))


def test_s3_hosting_with_presigned_urls(tmp_path, meta):
    """MinIO/S3 hosting through moto's local server; the story is fetched from a presigned URL."""
    moto_server = pytest.importorskip("moto.server")
    import boto3

    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        env = {**ENV, "S3_KEY": "testing", "S3_SECRET": "testingsecret"}
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testingsecret",
        )
        s3.create_bucket(Bucket="media")
        project = make_project(
            tmp_path / "proj",
            f"""[channels.ig]
type = "instagram"
api_base = "{meta.url}"
ig_user_id = "{IG_USER}"
access_token = "env:IG_TOKEN"
first_poll = 0
poll_interval = 0
[channels.ig.hosting]
kind = "s3"
bucket = "media"
endpoint_url = "{endpoint}"
region = "us-east-1"
access_key_id = "env:S3_KEY"
secret_access_key = "env:S3_SECRET"
""",
        )
        ch = channel(project, "ig", env)
        ch.publish(request(jpeg(tmp_path / "a.jpg", 1)))
        assert len(meta.stories) == 1
        assert s3.list_objects_v2(Bucket="media").get("KeyCount", 0) == 0  # cleaned up
        assert {c.check: c.ok for c in ch.check()}["hosting"]
    finally:
        server.stop()


def test_redactor_removes_tokens_from_urls_headers_and_paths():
    r = Redactor(["s3cr3t-value"])
    text = (
        "GET https://graph.instagram.com/v25.0/me?fields=id&access_token=EAAB.x-1 "
        "Authorization: OAuth EAAZZZ s3cr3t-value https://api.telegram.org/bot123:AA-bb/sendPhoto "
        "https://discord.com/api/webhooks/1/tok_en https://hooks.slack.com/services/T1/B2/xyz"
    )
    out = r(text)
    for leaked in ("EAAB.x-1", "EAAZZZ", "s3cr3t-value", "123:AA-bb", "tok_en", "T1/B2/xyz"):
        assert leaked not in out


# -- token refresh (Instagram Login tokens last 60 days) ----------------------------------------


def _file_project(tmp_path: Path, meta: FakeMeta, static: StaticFiles, extra: str = "", mode: int = 0o600):
    secret = tmp_path / "proj" / "secrets" / "ig_token"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text(TOKEN + "\n", encoding="utf-8")
    secret.chmod(mode)
    project = _project(tmp_path, meta, static, extra='access_token = "file:secrets/ig_token"\n' + extra)
    return project, secret


def _tokens(project) -> dict:
    import json

    return json.loads((project.state_dir / "tokens.json").read_text(encoding="utf-8"))


def test_refresh_rewrites_the_token_file_and_records_the_expiry(tmp_path, meta, static, caplog):
    from datetime import datetime, timedelta

    from tests.fakes.project import NOW

    caplog.set_level(logging.DEBUG)
    project, secret = _file_project(tmp_path, meta, static, mode=0o600)
    ch = channel(project, "ig", {})
    result = ch.refresh_token()
    new = meta.refreshed_tokens[0]
    assert secret.read_text(encoding="utf-8") == new + "\n"
    assert secret.stat().st_mode & 0o777 == 0o600
    assert not [p for p in secret.parent.iterdir() if p.name != "ig_token"]  # no temp file left
    assert result.expires_at == NOW + timedelta(days=60) and result.expires_in_days == 60
    entry = _tokens(project)["ig"]
    assert datetime.fromisoformat(entry["expires_at"]) == NOW + timedelta(days=60)
    stored = (project.state_dir / "tokens.json").read_text(encoding="utf-8")
    assert TOKEN not in stored and new not in stored
    call = meta.calls("GET", "refresh_access_token")[0]
    assert call.query["grant_type"] == "ig_refresh_token"
    assert "token refreshed" in caplog.text
    assert TOKEN not in caplog.text and new not in caplog.text
    # the next calls use the new token (the fake no longer accepts the old one)
    ch.publish(request(jpeg(tmp_path / "a.jpg", 1)))
    assert len(meta.stories) == 1
    # Meta refreshes only tokens at least 24 h old: a second refresh is refused before any call
    with pytest.raises(RetryableFailure, match="at least 24 h old"):
        ch.refresh_token()
    assert len(meta.refreshed_tokens) == 1


def test_refresh_is_for_instagram_login_only(tmp_path, meta, static):
    ch = channel(_project(tmp_path, meta, static, login="facebook_login"), "ig", ENV)
    with pytest.raises(PermanentFailure, match="Instagram Login tokens only"):
        ch.refresh_token()
    assert not meta.calls("GET", "refresh_access_token")


def test_cli_refresh_file_ref(tmp_path, meta, static, run_cli):
    import json

    project, secret = _file_project(tmp_path, meta, static)
    code, out, err = run_cli("-P", str(project.root), "channels", "refresh", "ig", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["refreshed"] is True and report["expires_in_days"] == 60
    assert report["stored_in"] == f"file {secret.resolve()}"
    new = meta.refreshed_tokens[0]
    assert secret.read_text(encoding="utf-8").strip() == new
    assert "expires_at" in _tokens(project)["ig"]
    assert TOKEN not in out + err and new not in out + err
    # channels check now knows how long the token lives
    code, out, err = run_cli("-P", str(project.root), "channels", "check", "ig", "--json")
    rows = {r["check"]: r for r in json.loads(out)["channels"]["ig"]}
    assert code == 0 and rows["token expiry"]["ok"] and "60 day(s) left" in rows["token expiry"]["detail"]


def test_cli_refresh_env_ref_explains_and_leaks_nothing(tmp_path, meta, static, run_cli):
    project = _project(tmp_path, meta, static)
    code, out, err = run_cli("-P", str(project.root), "channels", "refresh", "ig", env=ENV)
    assert code == 3
    assert "environment variable IG_TOKEN" in err and "cannot update" in err
    assert "update IG_TOKEN" in err
    assert TOKEN not in out + err
    assert not meta.calls("GET", "refresh_access_token")  # no token fetched only to be lost


def test_cli_refresh_expired_token_asks_to_reconnect(tmp_path, meta, static, run_cli):
    project, secret = _file_project(tmp_path, meta, static)
    meta.expired = True
    code, out, err = run_cli("-P", str(project.root), "channels", "refresh", "ig")
    assert code == 5
    assert "code 190" in err and "reconnect" in err and "Business Login for Instagram" in err
    assert TOKEN not in out + err
    assert secret.read_text(encoding="utf-8").strip() == TOKEN  # untouched


def test_cli_refresh_other_channel_types_are_refused(tmp_path, run_cli):
    from tests.fakes.project import make_project as make

    project = make(tmp_path / "p", '[channels.feed]\ntype = "local"\n')
    code, _out, err = run_cli("-P", str(project.root), "channels", "refresh", "feed")
    assert code == 3 and "refresh applies to Instagram Login tokens only" in err


def _seed(project, token: str, *, age_days: float, left_days: float | None) -> None:
    """tokens.json as if storycast refreshed ``token`` age_days ago (expiry left_days from NOW)."""
    from datetime import timedelta

    from storycast.channels.igtoken import TokenStore
    from tests.fakes.project import NOW

    born = NOW - timedelta(days=age_days)
    expires = NOW + timedelta(days=left_days) if left_days is not None else None
    TokenStore(project.state_dir).update(
        "ig", token, born, refreshed_at=born if expires else None, expires_at=expires
    )


def test_auto_refresh_before_publishing_when_under_7_days(tmp_path, meta, static, caplog):
    caplog.set_level(logging.INFO)
    project, secret = _file_project(tmp_path, meta, static)
    _seed(project, TOKEN, age_days=55, left_days=5)
    ch = channel(project, "ig", {})
    ch.publish(request(jpeg(tmp_path / "a.jpg", 1)))
    assert len(meta.refreshed_tokens) == 1 and len(meta.stories) == 1
    assert secret.read_text(encoding="utf-8").strip() == meta.refreshed_tokens[0]
    assert "token refreshed" in caplog.text
    assert TOKEN not in caplog.text and meta.refreshed_tokens[0] not in caplog.text
    checks = {c.check: c for c in ch.check()}
    assert checks["token expiry"].ok and "60 day(s) left" in checks["token expiry"].detail


def test_no_auto_refresh_with_time_left_or_for_young_or_env_tokens(tmp_path, meta, static):
    project, secret = _file_project(tmp_path, meta, static)
    _seed(project, TOKEN, age_days=30, left_days=30)
    channel(project, "ig", {}).publish(request(jpeg(tmp_path / "a.jpg", 1)))
    # a token storycast has never seen: its clock starts now, no refresh yet (it may be < 24 h old)
    other = "IGQWRhandmade0000001"
    secret.write_text(other, encoding="utf-8")
    meta.token = other
    channel(project, "ig", {}).publish(request(jpeg(tmp_path / "b.jpg", 2)))
    assert _tokens(project)["ig"].get("expires_at") is None
    # an env: token cannot be rewritten, so it is never refreshed automatically
    env_project = _project(tmp_path, meta, static)  # the same project, now with access_token = env:
    meta.token = TOKEN
    _seed(env_project, TOKEN, age_days=55, left_days=5)
    channel(env_project, "ig", ENV).publish(request(jpeg(tmp_path / "c.jpg", 3)))
    assert not meta.refreshed_tokens and len(meta.stories) == 3
    assert not any(r.path.endswith("refresh_access_token") for r in meta.requests)


def test_auto_refresh_of_unknown_expiry_after_24h_and_at_most_once_a_day(tmp_path, meta, static, caplog):
    from tests.fakes.meta import meta_error

    project, secret = _file_project(tmp_path, meta, static)
    _seed(project, TOKEN, age_days=2, left_days=None)  # first seen 2 days ago, expiry unknown
    meta.script("refresh", meta_error(2, "Service temporarily unavailable"))
    caplog.set_level(logging.INFO)
    channel(project, "ig", {}).publish(request(jpeg(tmp_path / "a.jpg", 1)))
    assert "automatic token refresh failed" in caplog.text and len(meta.stories) == 1
    # the next tick the same day does not try again
    channel(project, "ig", {}).publish(request(jpeg(tmp_path / "b.jpg", 2)))
    assert len(meta.calls("GET", "refresh_access_token")) == 1
    assert secret.read_text(encoding="utf-8").strip() == TOKEN


def test_check_warns_under_10_days_without_failing(tmp_path, meta, static):
    project, _ = _file_project(tmp_path, meta, static)
    _seed(project, TOKEN, age_days=52, left_days=8)
    checks = {c.check: c for c in channel(project, "ig", {}).check()}
    row = checks["token expiry"]
    assert not row.ok and row.severity == "warning"
    assert "8 day(s) left" in row.detail and "channels refresh ig" in row.detail


def test_refresh_updates_a_keyring_entry(tmp_path, meta, static):
    keyring = pytest.importorskip("keyring")
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        """An in-process keyring (the real ones need a desktop session)."""

        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.data: dict[tuple[str, str], str] = {}

        def get_password(self, service, username):
            return self.data.get((service, username))

        def set_password(self, service, username, password):
            self.data[(service, username)] = password

        def delete_password(self, service, username):
            self.data.pop((service, username), None)

    previous = keyring.get_keyring()
    store = MemoryKeyring()
    keyring.set_keyring(store)
    try:
        store.set_password("storycast", "ig", TOKEN)
        project = _project(tmp_path, meta, static, extra='access_token = "keyring:storycast/ig"')
        ch = channel(project, "ig", {})
        result = ch.refresh_token()
        assert store.data[("storycast", "ig")] == meta.refreshed_tokens[0]
        assert result.stored_in == "keyring entry storycast/ig"
        ch.publish(request(jpeg(tmp_path / "a.jpg", 1)))  # read back from the keyring
        assert len(meta.stories) == 1
    finally:
        keyring.set_keyring(previous)


def test_the_webhook_keys_of_web_md_are_instagram_channel_options(tmp_path, meta, static):
    """docs/web.md puts app_secret and verify_token under [channels.ig]: an enabled channel opens."""
    from storycast.channels.registry import open_channel
    from storycast.context import Context

    project = _project(
        tmp_path, meta, static, extra='app_secret = "env:META_APP_SECRET"\nverify_token = "env:META_VERIFY"'
    )
    ig = open_channel(project, "ig", Context())
    assert ig.opts.app_secret == "env:META_APP_SECRET" and ig.opts.verify_token == "env:META_VERIFY"


# -- account, account type and the insights permission (Graph API as Meta documents it) ---------


def test_check_under_facebook_login_reads_the_ig_user_node_not_me(tmp_path, meta, static):
    """A Facebook User token's /me has no username: the check asks GET /{ig-user-id}."""
    meta.use_login("facebook_login")
    ch = channel(_project(tmp_path, meta, static, login="facebook_login"), "ig", ENV)
    checks = {c.check: c for c in ch.check()}
    assert checks["token"].ok and checks["token"].detail == "valid for @lumen_support"
    asked = [(r.path.rsplit("/", 1)[-1], r.query.get("fields")) for r in meta.calls("GET")]
    assert (IG_USER, "id,username") in asked
    assert not any(path == "me" and fields for path, fields in asked)  # no /me?fields=username
    # The IG User node has no account_type under Facebook Login: the check says what to verify.
    assert checks["account type"].ok and "Business accounts only" in checks["account type"].detail
    assert checks["insights"].ok and "instagram_manage_insights" in checks["insights"].detail


def test_check_under_instagram_login_reads_me_with_user_id_and_account_type(tmp_path, meta, static):
    ch = channel(_project(tmp_path, meta, static), "ig", ENV)
    checks = {c.check: c for c in ch.check()}
    me = [r for r in meta.calls("GET") if r.path.endswith("/me")]
    assert me and me[0].query["fields"] == "user_id,username,account_type"
    assert checks["token"].ok and checks["account type"].ok
    assert "Business account" in checks["account type"].detail
    other = channel(
        _project(tmp_path / "x", meta, static, extra='ig_user_id = "17841499999999999"'), "ig", ENV
    )
    token = {c.check: c for c in other.check()}["token"]
    assert not token.ok and f'ig_user_id = "{IG_USER}"' in token.detail


def test_creator_account_is_told_stories_need_business_and_nothing_is_sent(tmp_path, static):
    with FakeGraph(TOKEN, account_type="Media_Creator") as meta:
        ch = channel(_project(tmp_path, meta, static), "ig", ENV)
        checks = {c.check: c for c in ch.check()}
        kind = checks["account type"]
        assert not kind.ok and kind.severity == "error"
        assert "MEDIA_CREATOR" in kind.detail and "Business accounts only" in kind.detail
        with pytest.raises(PermanentFailure, match="Business accounts only") as info:
            ch.publish(request(jpeg(tmp_path / "a.jpg", 1)))
        assert "Account type" in (info.value.hint or "")
        assert not meta.calls("POST")  # no container was created
        meta.assert_clean()


def test_missing_insights_permission_is_not_too_few_viewers(tmp_path, meta, static):
    """Both come back as code 10; the message and the granted permissions tell them apart."""
    from storycast.channels.base import InsightsUnavailable

    ch = channel(_project(tmp_path, meta, static), "ig", ENV)
    meta.insights["m-many"] = {"reach": 40, "views": 52, "replies": 2}
    meta.insights["m-few"] = {"reach": 3}
    assert ch.fetch_insights("m-many") == {"reach": 40, "views": 52, "replies": 2}
    with pytest.raises(InsightsUnavailable, match="fewer than 5 people") as few:
        ch.fetch_insights("m-few")
    assert not few.value.expired
    meta.permissions.remove("instagram_business_manage_insights")
    ch = channel(_project(tmp_path, meta, static), "ig", ENV)
    with pytest.raises(NeedsAuth, match="lacks instagram_business_manage_insights") as info:
        ch.fetch_insights("m-many")
    assert "grant instagram_business_manage_insights" in (info.value.hint or "")
    checks = {c.check: c for c in ch.check()}
    assert not checks["insights"].ok and checks["insights"].severity == "warning"
    assert "insights collect" in checks["insights"].detail


STORY = """\
id: restart-modem
template: tutorial
category: connectivity
languages: [en]
title: {en: Restart your modem}
steps:
  - title: {en: Unplug it}
    text: {en: Wait ten seconds.}
  - title: {en: Plug it back in}
    text: {en: Wait for the light to turn green.}
"""

SCHEDULE = """\
timezone: UTC
entries:
  - id: modem
    story: restart-modem
    at: "2026-12-01T09:00"
    channels: [ig]
    languages: [en]
    grace: 2h
"""


def test_insights_collect_names_the_missing_permission(tmp_path, meta, static, run_cli):
    """Schedule -> publish --due -> `insights collect` shows a missing permission as such."""
    project = _project(tmp_path, meta, static, extra="rate_per_minute = 600")
    (project.root / "stories").mkdir()
    (project.root / "stories" / "restart-modem.yaml").write_text(STORY, encoding="utf-8")
    (project.root / "schedules").mkdir()
    (project.root / "schedules" / "modem.yaml").write_text(SCHEDULE, encoding="utf-8")
    root = str(project.root)
    code, out, err = run_cli("-P", root, "publish", "--due", "--now", "2026-12-01T09:01:00Z", env=ENV)
    assert code == 0, out + err
    frames = len(meta.stories)
    assert frames >= 2
    for story in meta.stories:
        meta.insights[story["id"]] = {"reach": 40, "views": 52}
    meta.permissions.remove("instagram_business_manage_insights")
    at = "2026-12-01T09:01:00Z"
    code, out, err = run_cli("-P", root, "insights", "collect", "--all", "--now", at, env=ENV)
    assert code == 0, err
    assert "captured 0 post(s)" in out and f"{frames} unavailable" in out
    assert out.count("lacks instagram_business_manage_insights") == frames
    assert "fewer than 5" not in out
    # With the permission back, one story seen by 3 people is "too few viewers", not a permission problem.
    meta.permissions.append("instagram_business_manage_insights")
    meta.insights[meta.stories[1]["id"]] = {"reach": 3}
    code, out, err = run_cli("-P", root, "insights", "collect", "--all", "--now", at, env=ENV)
    assert f"captured {frames - 1} post(s)" in out and "fewer than 5 people" in out and "lacks" not in out
