"""Signatures, settings and the Celery rules that keep work from being lost."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.settings import Settings
from schemas.signing import sign, verify
from workers.app import ROUTES, celery_config, create_app

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z


def test_signature_round_trip_and_tamper():
    body = b'{"event_id": "e1"}'
    header = sign(b"secret", body, NOW)
    assert header.startswith("sha256=") and verify(b"secret", body, header, str(NOW), now=NOW)
    assert not verify(b"secret", body + b" ", header, str(NOW), now=NOW)
    assert not verify(b"other", body, header, str(NOW), now=NOW)
    assert not verify(b"secret", body, None, str(NOW), now=NOW)
    assert not verify(b"secret", body, header.replace("sha256=", "sha1="), str(NOW), now=NOW)
    assert not verify(b"", body, sign(b"", body, NOW), str(NOW), now=NOW)


def test_settings_defaults_live_under_home(tmp_path):
    s = Settings(home=tmp_path)
    assert s.database_url == f"sqlite:///{tmp_path.as_posix()}/descflow.db"
    assert s.generator_model == str(tmp_path / "models" / "house")


def test_settings_reject_a_non_redis_broker():
    with pytest.raises(ValidationError, match="Redis URL"):
        Settings(broker_url="amqp://guest@localhost//")


def test_settings_read_the_environment(monkeypatch):
    monkeypatch.setenv("DESCFLOW_BATCH_SIZE", "32")
    monkeypatch.setenv("DESCFLOW_BROKER_URL", "redis+socket:///tmp/redis.sock")
    s = Settings()
    assert s.batch_size == 32 and s.redis_url == "unix:///tmp/redis.sock"


def test_celery_never_accepts_pickle_and_acks_late():
    conf = celery_config(Settings(visibility_timeout=7200, task_soft_time_limit=600))
    assert conf["accept_content"] == ["json"] and conf["task_serializer"] == "json"
    assert conf["task_acks_late"] and conf["task_reject_on_worker_lost"]
    assert conf["worker_prefetch_multiplier"] == 1
    assert conf["broker_transport_options"]["visibility_timeout"] == 7200 > conf["task_time_limit"]
    assert conf["worker_cancel_long_running_tasks_on_connection_loss"]


def test_routes_put_model_stages_on_gpu():
    app = create_app(Settings())
    router = app.amqp.router
    for name, queue in ROUTES.items():
        assert router.route({}, name)["queue"].name == queue
    assert {n for n, q in ROUTES.items() if q == "gpu"} == {"descflow.generate", "descflow.correct", "descflow.rank",
                                                         "descflow.refresh"}  # re-ranking rescores with the model


def test_a_rediss_broker_verifies_certificates_in_celery():
    """kombu ignores ssl_* options in the URL: without broker_use_ssl it would connect unverified."""
    import ssl

    secure = create_app(Settings(broker_url="rediss://:pw@redis.example:6380/0")).conf
    assert secure.broker_use_ssl["ssl_cert_reqs"] == ssl.CERT_REQUIRED
    relaxed = create_app(Settings(broker_url="rediss://redis.example:6380/0?ssl_cert_reqs=none")).conf
    assert relaxed.broker_use_ssl["ssl_cert_reqs"] == ssl.CERT_NONE
    assert not create_app(Settings(broker_url="redis://127.0.0.1:6379/0")).conf.broker_use_ssl  # Celery default: off
