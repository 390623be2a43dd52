"""The shop commands the README tells an operator to run: `shop import`, `shop show`, `shop key create/list/revoke`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from descflow.cli import app
from workers.api_keys import shop_for_key
from workers.store import Store


def _cli(tmp_path, *args: str):
    env = {"DESCFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'shops.db'}", "DESCFLOW_HOME": str(tmp_path),
           "COLUMNS": "200"}
    return CliRunner().invoke(app, list(args), env=env)


def test_import_a_yaml_profile_then_show_it(tmp_path):
    path = tmp_path / "shops.yaml"
    path.write_text(
        "- shop_id: shop-a\n  tone: playful\n  format: bullets\n  lengths: {en-US: 30-60}\n"
        "  restricted_terms: [cheap]\n  preferred_terms: {sofa: couch}\n  publish_policy: review\n"
        "- shop_id: shop-b\n  locales: [en-US, zh-CN]\n", encoding="utf-8")
    result = _cli(tmp_path, "shop", "import", str(path))
    assert result.exit_code == 0, result.output
    shown = _cli(tmp_path, "shop", "show", "shop-a", "--json")
    assert shown.exit_code == 0, shown.output
    profile = json.loads(shown.stdout)
    assert profile["tone"] == "playful" and profile["format"] == "bullets" and profile["publish_policy"] == "review"
    assert profile["restricted_terms"] == ["cheap"] and profile["preferred_terms"] == {"sofa": "couch"}
    table = _cli(tmp_path, "shop", "show", "shop-b")
    assert table.exit_code == 0 and "en-US, zh-CN" in table.stdout
    assert "professional" in table.stdout  # fields not given take their defaults


def test_a_bad_profile_file_is_refused_whole(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"shop_id": "shop-c", "tone": "quiet"}, {"shop_id": "shop-d"}]), encoding="utf-8")
    result = _cli(tmp_path, "shop", "import", str(path))
    assert result.exit_code != 0 and "tone" in result.output
    assert json.loads(_cli(tmp_path, "shop", "show", "shop-d", "--json").stdout)["tone"] == "professional"
    assert Store(f"sqlite:///{tmp_path / 'shops.db'}").shop_profile("shop-d") is None  # nothing was saved


def test_key_create_list_and_revoke(tmp_path):
    created = _cli(tmp_path, "shop", "key", "create", "shop-a", "--name", "storefront")
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    store = Store(f"sqlite:///{tmp_path / 'shops.db'}")
    assert shop_for_key(store, key) == "shop-a"
    [row] = store.api_keys("shop-a")
    assert row.key_id in created.output and key not in _cli(tmp_path, "shop", "key", "list", "shop-a").stdout
    listed = _cli(tmp_path, "shop", "key", "list", "shop-a")
    assert listed.exit_code == 0 and row.key_id in listed.stdout and "storefront" in listed.stdout
    assert _cli(tmp_path, "shop", "key", "revoke", "shop-a").exit_code == 2  # which one?
    revoked = _cli(tmp_path, "shop", "key", "revoke", "shop-a", row.key_id)
    assert revoked.exit_code == 0 and row.key_id in revoked.output
    assert shop_for_key(store, key) is None
    assert _cli(tmp_path, "shop", "key", "revoke", "shop-a", "--all").exit_code == 1  # no live key left
