"""Security at the edges, without services: signatures and their replay window, body limits,
TLS and password URLs, secrets kept out of dead letters, and Flower's authentication."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
import yaml
from fastapi.testclient import TestClient
from kombu import Connection
from typer.testing import CliRunner

from producers.webhook import create_app
from schemas.events import MAX_PAYLOAD_BYTES
from schemas.settings import Settings, get_settings
from schemas.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureInvalid,
    check,
    sign,
    sign_body_only,
    signature_headers,
)
from workers import pipeline
from workers.app import app as celery_app

REPO = Path(__file__).resolve().parents[2]
SECRET = b"s3cret-for-tests"
BODY = b'{"event_id": "e1"}'
NOW = 1_767_225_600


# ---- signatures ----------------------------------------------------------------------------


def test_timestamped_signature_round_trips_and_binds_the_timestamp():
    headers = signature_headers(SECRET, BODY, now=NOW)
    assert headers[TIMESTAMP_HEADER] == str(NOW)
    check(SECRET, BODY, headers[SIGNATURE_HEADER], headers[TIMESTAMP_HEADER], now=NOW)
    # Moving the timestamp (to slip a captured request into the window) breaks the signature.
    with pytest.raises(SignatureInvalid, match="wrong X-Descflow-Signature"):
        check(SECRET, BODY, headers[SIGNATURE_HEADER], str(NOW + 100), now=NOW + 100)
    with pytest.raises(SignatureInvalid, match="wrong"):
        check(SECRET, BODY + b" ", headers[SIGNATURE_HEADER], headers[TIMESTAMP_HEADER], now=NOW)


@pytest.mark.parametrize(("skew", "reason"), [(-301, "301 s old"), (-10_000, "10000 s old"),
                                              (301, "301 s in the future"), (86_400, "in the future")])
def test_timestamps_outside_the_window_are_refused_with_the_reason(skew, reason):
    signature = sign(SECRET, BODY, NOW + skew)
    with pytest.raises(SignatureInvalid, match=reason):
        check(SECRET, BODY, signature, str(NOW + skew), tolerance=300, now=NOW)


@pytest.mark.parametrize("skew", [-300, -1, 0, 1, 300])
def test_timestamps_inside_the_window_pass(skew):
    check(SECRET, BODY, sign(SECRET, BODY, NOW + skew), str(NOW + skew), tolerance=300, now=NOW)


@pytest.mark.parametrize(("signature", "timestamp", "reason"), [
    (None, str(NOW), "missing X-Descflow-Signature"),
    ("md5=abc", str(NOW), "sha256=<hex>"),
    ("sha256=00", None, "missing X-Descflow-Timestamp"),
    ("sha256=00", "-5", "whole unix seconds"),
    ("sha256=00", "1e9", "whole unix seconds"),
    ("sha256=00", "١٢٣", "whole unix seconds"),  # Arabic-Indic digits: isdigit() but not ASCII
    ("sha256=00", "9" * 40, "whole unix seconds"),
])
def test_malformed_headers_are_refused_with_what_to_fix(signature, timestamp, reason):
    with pytest.raises(SignatureInvalid, match=reason):
        check(SECRET, BODY, signature, timestamp, now=NOW)


def test_body_only_signature_only_where_allowed():
    old = sign_body_only(SECRET, BODY)
    with pytest.raises(SignatureInvalid, match="missing X-Descflow-Timestamp"):
        check(SECRET, BODY, old, None, now=NOW)
    check(SECRET, BODY, old, None, allow_body_only=True, now=NOW)
    with pytest.raises(SignatureInvalid):
        check(SECRET, BODY + b"x", old, None, allow_body_only=True, now=NOW)
    with pytest.raises(SignatureInvalid, match="no secret"):
        check(b"", BODY, sign(b"", BODY, NOW), str(NOW), now=NOW)


def test_comparisons_are_constant_time(monkeypatch):
    import hmac

    from schemas import signing

    calls: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signing.hmac, "compare_digest", spy)
    check(SECRET, BODY, sign(SECRET, BODY, NOW), str(NOW), now=NOW)
    assert len(calls) == 1


# ---- the webhook's answers before any service is touched ----------------------------------------


@pytest.fixture()
def api(tmp_path) -> TestClient:
    settings = Settings(webhook_secret=SECRET.decode(), database_url=f"sqlite:///{tmp_path / 'w.db'}",
                        broker_url="redis://127.0.0.1:1/0", webhook_tolerance_seconds=60)
    return TestClient(create_app(settings))


def test_webhook_refuses_replays_and_unsigned_requests_with_the_reason(api):
    import time

    stale = int(time.time()) - 61
    future = int(time.time()) + 120
    cases = {
        "missing X-Descflow-Signature": {},
        "missing X-Descflow-Timestamp": {SIGNATURE_HEADER: sign_body_only(SECRET, BODY)},
        "s old": {TIMESTAMP_HEADER: str(stale), SIGNATURE_HEADER: sign(SECRET, BODY, stale)},
        "in the future": {TIMESTAMP_HEADER: str(future), SIGNATURE_HEADER: sign(SECRET, BODY, future)},
        "wrong X-Descflow-Signature": signature_headers(b"another-secret", BODY),
    }
    for reason, headers in cases.items():
        response = api.post("/events", content=BODY, headers=headers)
        assert response.status_code == 401, reason
        assert response.json()["status"] == "unauthorized" and reason in response.json()["message"]


def test_webhook_accepts_the_body_only_signature_only_when_configured(tmp_path):
    settings = Settings(webhook_secret=SECRET.decode(), database_url=f"sqlite:///{tmp_path / 'w.db'}",
                        webhook_allow_body_only_signature=True)
    api = TestClient(create_app(settings))
    body = b"{not json"
    response = api.post("/events", content=body, headers={SIGNATURE_HEADER: sign_body_only(SECRET, body)})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "(body)"


def test_webhook_cuts_off_a_body_over_the_limit_with_or_without_content_length(api):
    big = b"x" * (MAX_PAYLOAD_BYTES + 1)
    assert api.post("/events", content=big, headers=signature_headers(SECRET, big)).status_code == 413

    def chunks():  # no Content-Length: chunked transfer, counted as it arrives
        for _ in range(MAX_PAYLOAD_BYTES // 65_536 + 2):
            yield b"y" * 65_536

    response = api.post("/events", content=chunks(), headers=signature_headers(SECRET, b""))
    assert response.status_code == 413 and response.json()["errors"][0]["field"] == "(body)"


def test_webhook_without_a_secret_does_not_start():
    with pytest.raises(RuntimeError, match="DESCFLOW_WEBHOOK_SECRET"):
        create_app(Settings(webhook_secret=""))


# ---- passwords and TLS in URLs ------------------------------------------------------------------


def test_password_and_tls_urls_reach_redis_py_and_kombu_intact():
    s = Settings(broker_url="rediss://:p%40ss%2Fw0rd@redis.internal:6380/3?ssl_ca_certs=/etc/ssl/ca.pem")
    pool = redis.Redis.from_url(s.redis_url).connection_pool
    assert pool.connection_kwargs["password"] == "p@ss/w0rd"
    assert pool.connection_class is redis.SSLConnection and pool.connection_kwargs["db"] == 3
    conn = Connection(s.broker_url)
    assert conn.password == "p@ss/w0rd" and conn.hostname == "redis.internal" and conn.port == 6380
    assert s.broker_use_ssl == {"ssl_cert_reqs": ssl.CERT_REQUIRED, "ssl_ca_certs": "/etc/ssl/ca.pem"}
    assert Settings(broker_url="rediss://h:6380/0?ssl_cert_reqs=none").broker_use_ssl == {"ssl_cert_reqs": ssl.CERT_NONE}
    assert Settings(broker_url="redis://:pw@h:6379/0").broker_use_ssl is None
    with pytest.raises(ValueError, match="ssl_cert_reqs"):
        _ = Settings(broker_url="rediss://h/0?ssl_cert_reqs=maybe").broker_use_ssl


def test_user_and_password_urls_for_redis_acl_and_postgres():
    s = Settings(broker_url="redis://descflow:r3dis-pw@h:6379/0",
                 database_url="postgresql+psycopg://descflow:pg%23pw@db.internal:5432/descflow")
    kwargs = redis.Redis.from_url(s.redis_url).connection_pool.connection_kwargs
    assert (kwargs["username"], kwargs["password"]) == ("descflow", "r3dis-pw")
    url = sa.make_url(s.database_url)
    assert (url.username, url.password, url.host, url.database) == ("descflow", "pg#pw", "db.internal", "descflow")
    assert {"r3dis-pw", "pg#pw", "pg%23pw"} <= set(s.secret_values)


def test_a_dead_letter_never_stores_a_password_or_secret(monkeypatch):
    settings = Settings(broker_url="redis://:hunter2-broker@10.0.0.5:6379/0",
                        database_url="postgresql+psycopg://app:hunter3-db@db/app", webhook_secret="hook-secret-1")
    stored: list[dict] = []
    runtime = type("R", (), {"settings": settings,
                             "store": type("S", (), {"record_failure": lambda self, **kw: stored.append(kw)})()})()
    monkeypatch.setattr(pipeline, "get_runtime", lambda: runtime)
    exc = ConnectionError(f"Error connecting to {settings.broker_url}: refused; db {settings.database_url}; "
                          f"header hook-secret-1")
    celery_app.tasks["descflow.ingest"].on_failure(exc, "task-1", ("evt-1",), {}, f"Traceback: {exc}")
    (row,) = stored
    for secret in ("hunter2-broker", "hunter3-db", "hook-secret-1"):
        assert secret not in row["error"] and secret not in row["traceback"]
    assert "redis://:***@10.0.0.5:6379/0" in row["error"] and row["args"] == ["evt-1"]


# ---- Flower never runs open ---------------------------------------------------------------------


def test_descflow_flower_refuses_to_start_without_credentials(monkeypatch, tmp_path):
    from descflow import cli

    monkeypatch.setenv("DESCFLOW_HOME", str(tmp_path))
    monkeypatch.delenv("DESCFLOW_FLOWER_USER", raising=False)
    monkeypatch.delenv("DESCFLOW_FLOWER_PASSWORD", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    started: list[list[str]] = []
    monkeypatch.setattr(cli.os, "execv", lambda path, argv: started.append(argv))
    asked: list[bool] = []  # the broadcast that turns the workers' task events on, just before Flower starts
    monkeypatch.setattr(cli, "_enable_task_events", lambda: asked.append(not started))
    result = CliRunner().invoke(cli.app, ["flower"])
    assert result.exit_code == 2 and "Flower needs credentials" in result.output and not started
    monkeypatch.setenv("DESCFLOW_FLOWER_USER", "ops")
    result = CliRunner().invoke(cli.app, ["flower"])  # a user without a password is not enough
    assert result.exit_code == 2 and not started

    monkeypatch.setenv("DESCFLOW_FLOWER_PASSWORD", "fl0wer-pw")
    monkeypatch.setenv("FLOWER_BASIC_AUTH", "")  # so that the value the command sets is undone afterwards
    result = CliRunner().invoke(cli.app, ["flower"])
    assert result.exit_code == 0 and len(started) == 1 and asked == [True]
    assert cli.os.environ["FLOWER_BASIC_AUTH"] == "ops:fl0wer-pw"
    assert not any("fl0wer-pw" in arg for arg in started[0]), "the password must not be on the command line"
    get_settings.cache_clear()


def test_compose_starts_flower_only_with_a_password():
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    flower = compose["services"]["flower"]
    assert "--insecure" not in flower["command"]
    password = flower["environment"]["DESCFLOW_FLOWER_PASSWORD"]
    assert password.startswith("${DESCFLOW_FLOWER_PASSWORD:?"), "compose must refuse to start without a password"
