"""Every setting is documented where operators look: .env.example, README's settings table, compose.yaml."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from schemas.settings import Settings

REPO = Path(__file__).resolve().parents[2]
VARIABLES = sorted(f"DESCFLOW_{name.upper()}" for name in Settings.model_fields)


def readme_settings_table() -> set[str]:
    """Variables in the first column of README's settings table; `` `DESCFLOW_A_HOST` / `_PORT` `` names two."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for row in section.splitlines():
        if not row.startswith("| `"):
            continue
        previous = ""
        for token in re.findall(r"`([A-Z_][A-Z0-9_]*)`", row.split("|")[1]):
            if token.startswith("_") and previous:
                token = previous.rsplit("_", 1)[0] + token
            names.add(token)
            previous = token
    return names


def test_the_settings_are_read_from_the_source():
    assert len(VARIABLES) > 20 and "DESCFLOW_METRICS_PORT" in VARIABLES and "DESCFLOW_LOG_FORMAT" in VARIABLES


@pytest.mark.parametrize("variable", VARIABLES)
def test_every_setting_is_in_env_example(variable):
    text = (REPO / ".env.example").read_text(encoding="utf-8")
    assert re.search(rf"(?m)^#?\s*{variable}=", text), f".env.example does not list {variable}"


@pytest.mark.parametrize("variable", VARIABLES)
def test_every_setting_is_in_the_readme_settings_table(variable):
    assert variable in readme_settings_table(), f"README's settings table has no row for {variable}"


@pytest.mark.parametrize("variable", VARIABLES)
def test_every_setting_reaches_a_compose_service(variable):
    assert re.search(rf"\b{variable}\b", (REPO / "compose.yaml").read_text(encoding="utf-8")), (
        f"compose.yaml passes {variable} to no service")


def test_the_readme_table_lists_no_setting_that_does_not_exist():
    extra = readme_settings_table() - set(VARIABLES)
    assert not extra, f"README's settings table names variables that schemas/settings.py lacks: {sorted(extra)}"
