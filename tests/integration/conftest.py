"""Integration tests run against a stack per database: SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.stack import Stack, start_stack, stop_stack


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, redis_url: str,
          tiny_model: Path) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp(f"stack-{request.param}")
    url = f"sqlite:///{tmp / 'descflow.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    s = start_stack(tmp, url, redis_url, tiny_model)
    yield s
    stop_stack(s)
