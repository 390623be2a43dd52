"""`descflow shop …` (a shop's profile and API keys), `descflow review …` (candidates held for a person) and
`descflow history` (a product's published versions)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

console = Console(stderr=True)
out = Console()

shop_app = typer.Typer(help="A shop's controls: tone, length, format, terms, publishing policy.", no_args_is_help=True)
review_app = typer.Typer(help="Descriptions held for a person: list, approve, reject, edit.", no_args_is_help=True)
key_app = typer.Typer(help="A shop's keys to the read API (GET /products/…): create, list, revoke.",
                      no_args_is_help=True)
shop_app.add_typer(key_app, name="key")


def _runtime() -> Any:
    from schemas.settings import get_settings
    from workers.runtime import Runtime

    get_settings.cache_clear()
    try:
        return Runtime(get_settings())
    except Exception as exc:  # pydantic's message names the variable and the reason
        console.print(f"[red]invalid settings:[/red] {exc}")
        raise typer.Exit(2) from None


def _pairs(values: list[str], option: str, sep: str = "=") -> dict[str, str]:
    """"a=b" options into a mapping; a value without the separator is named in the error."""
    found: dict[str, str] = {}
    for value in values:
        key, mark, rest = value.partition(sep)
        if not mark or not key.strip() or not rest.strip():
            console.print(f"[red]{option} {value!r}:[/red] write it as KEY{sep}VALUE")
            raise typer.Exit(2)
        found[key.strip()] = rest.strip()
    return found


def _range(value: Any) -> str:
    return f"{value['min']}-{value['max']}" if isinstance(value, dict) else str(value)


def _show(profile: Any) -> None:
    table = Table(title=f"shop {profile.shop_id}", show_header=False)
    for name, value in profile.model_dump(mode="json").items():
        if name == "shop_id":
            continue
        if isinstance(value, dict):
            shown = ", ".join(f"{k}={_range(v)}" for k, v in value.items()) or "-"
        elif isinstance(value, list):
            shown = ", ".join(value) or "-"
        else:
            shown = str(value) if value is not None else "-"
        table.add_row(name, shown)
    out.print(table)


@shop_app.command("set")
def shop_set(
    shop: Annotated[str, typer.Argument(help="The shop_id.")],
    tone: Annotated[Optional[str], typer.Option(help="professional, playful, premium or minimal.")] = None,
    length: Annotated[Optional[list[str]], typer.Option(help="LOCALE=MIN-MAX, e.g. en-US=40-80 (repeatable).")] = None,
    format: Annotated[Optional[str], typer.Option("--format", help="paragraph or bullets.")] = None,
    voice: Annotated[Optional[str], typer.Option(help="Brand voice notes for the writer.")] = None,
    require: Annotated[Optional[list[str]], typer.Option(help="A phrase every description should contain (repeatable).")] = None,
    restrict: Annotated[Optional[list[str]], typer.Option(help="A term never to use (repeatable).")] = None,
    prefer: Annotated[Optional[list[str]], typer.Option(help="SYNONYM=PREFERRED, replaced and recorded (repeatable).")] = None,
    locale: Annotated[Optional[list[str]], typer.Option(help="A locale the shop sells in (repeatable).")] = None,
    audience: Annotated[Optional[list[str]], typer.Option(help="An audience written for when a product names none.")] = None,
    policy: Annotated[Optional[str], typer.Option(help="Publishing: auto, review or auto-if-clean.")] = None,
) -> None:
    """Change some of a shop's controls; the rest stay. A list option replaces that whole list."""
    from workers.shop import ProfileError, update_profile

    change: dict[str, Any] = {
        "tone": tone, "format": format, "voice": voice, "publish_policy": policy,
        "lengths": _pairs(length, "--length") if length else None,
        "preferred_terms": _pairs(prefer, "--prefer") if prefer else None,
        "required_phrases": require, "restricted_terms": restrict, "locales": locale, "audiences": audience,
    }
    try:
        profile = update_profile(_runtime().store, shop, {k: v for k, v in change.items() if v is not None})
    except ProfileError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    _show(profile)


@shop_app.command("show")
def shop_show(
    shop: Annotated[str, typer.Argument(help="The shop_id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the profile as JSON.")] = False,
) -> None:
    """The shop's controls (defaults for a shop without a profile)."""
    from workers.shop import ProfileError, load_profile

    try:
        profile = load_profile(_runtime().store, shop)
    except ProfileError as exc:
        console.print(f"[red]{exc}[/red] (fix it with `descflow shop set` or `descflow shop import`)")
        raise typer.Exit(2) from None
    if as_json:
        out.print_json(profile.model_dump_json())
    else:
        _show(profile)


@shop_app.command("import")
def shop_import(
    path: Annotated[Path, typer.Argument(help="A .json, .yaml or .yml file: one profile, or a list of them.",
                                         exists=True, dir_okay=False)],
) -> None:
    """Store whole profiles from a file (fields not given take their defaults); all are checked before any is saved."""
    from workers.shop import ProfileError, parse_profile, replace_profile

    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # noqa: BLE001 - either parser's message says where
        console.print(f"[red]{path}: not valid {path.suffix.lstrip('.')}:[/red] {exc}")
        raise typer.Exit(2) from None
    items = data if isinstance(data, list) else [data]
    try:
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise ProfileError(f"entry {i} is a {type(item).__name__}, not a mapping of profile fields")
            try:
                parse_profile(item)
            except ProfileError as exc:
                raise ProfileError(f"entry {i} ({item.get('shop_id', 'no shop_id')}): {exc}") from None
    except ProfileError as exc:
        console.print(f"[red]{path}: {exc}[/red]; nothing was imported")
        raise typer.Exit(2) from None
    store = _runtime().store
    for item in items:
        profile = replace_profile(store, item)
        console.print(f"imported shop {profile.shop_id} (publish_policy {profile.publish_policy})")


@review_app.command("list")
def review_list(
    shop: Annotated[Optional[str], typer.Option(help="Only this shop's items.")] = None,
    status: Annotated[str, typer.Option(help="pending, approved, rejected, edited, superseded or all.")] = "pending",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """Held candidates, oldest first, with why each is held."""
    items = _runtime().store.review_items(shop_id=shop, status=None if status == "all" else status)
    if as_json:
        for item in items:
            out.print_json(item.model_dump_json())
        return
    table = Table(title=f"review: {len(items)} {status}")
    for col in ("id", "shop", "product", "locale", "status", "held because", "text"):
        table.add_column(col, overflow="fold")
    for item in items:
        table.add_row(str(item.id), item.shop_id, item.product_id, item.locale, item.status, item.held_because,
                      item.text[:160])
    out.print(table)


def _decide(item_id: int, **decision: Any) -> None:
    from pydantic import ValidationError

    from schemas.shop import ReviewDecision
    from workers.shop import ReviewError, decide, describe_errors

    try:
        done = decide(_runtime(), item_id, ReviewDecision(**decision))
    except ValidationError as exc:
        console.print(f"[red]{describe_errors(exc)}[/red]")
        raise typer.Exit(2) from None
    except ReviewError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"review item {done.id}: {done.status}"
                  + (f", published as version row {done.published_id}" if done.published_id else ""))


@review_app.command("approve")
def review_approve(item_id: Annotated[int, typer.Argument(help="The review item id (`descflow review list`).")]) -> None:
    """Publish the held text as the next version (stream and callback as for any publication)."""
    _decide(item_id, action="approve")


@review_app.command("reject")
def review_reject(
    item_id: Annotated[int, typer.Argument(help="The review item id.")],
    why: Annotated[Optional[str], typer.Option(help="Why, for the record.")] = None,
) -> None:
    """Drop the held text; nothing is published."""
    _decide(item_id, action="reject", why=why)


@review_app.command("edit")
def review_edit(
    item_id: Annotated[int, typer.Argument(help="The review item id.")],
    text: Annotated[str, typer.Option(help="The text to publish instead.")],
) -> None:
    """Publish your own text instead: it is merchant-owned, and descflow never replaces it automatically."""
    _decide(item_id, action="edit", text=text)


@key_app.command("create")
def key_create(
    shop: Annotated[str, typer.Argument(help="The shop_id the key may read.")],
    name: Annotated[Optional[str], typer.Option(help="What the key is for, e.g. storefront.")] = None,
) -> None:
    """Make a key and print it once: only its hash is stored, so keep it now."""
    from workers.api_keys import ApiKeyError, create_key

    try:
        key, row = create_key(_runtime().store, shop, name)
    except ApiKeyError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"key {row.key_id} for shop {shop}: send it as `Authorization: Bearer <key>`; it is not shown again")
    print(key)


@key_app.command("list")
def key_list(shop: Annotated[str, typer.Argument(help="The shop_id.")]) -> None:
    """The shop's keys (ids only: the keys themselves are not stored)."""
    rows = _runtime().store.api_keys(shop)
    table = Table(title=f"API keys of shop {shop}")
    for col in ("key id", "name", "created", "revoked"):
        table.add_column(col)
    for r in rows:
        table.add_row(r.key_id, r.name or "-", f"{r.created_at:%Y-%m-%d %H:%M}",
                      f"{r.revoked_at:%Y-%m-%d %H:%M}" if r.revoked_at else "-")
    out.print(table)


@key_app.command("revoke")
def key_revoke(
    shop: Annotated[str, typer.Argument(help="The shop_id.")],
    key_id: Annotated[Optional[str], typer.Argument(help="The key id (`descflow shop key list`); omit with --all.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Revoke every live key of the shop.")] = False,
) -> None:
    """Revoke a key at once: requests with it get 401 from then on."""
    if key_id is None and not all_:
        console.print("say which key: KEY_ID (see `descflow shop key list SHOP`) or --all")
        raise typer.Exit(2)
    done = _runtime().store.revoke_api_keys(shop, None if all_ else key_id)
    if not done:
        console.print(f"[red]shop {shop} has no live key{' ' + key_id if key_id and not all_ else ''}[/red]")
        raise typer.Exit(1)
    console.print(f"revoked {', '.join(done)}")


def history_command(
    product_id: Annotated[str, typer.Argument(help="The product id.")],
    shop: Annotated[Optional[str], typer.Option(help="The shop (needed when several shops use this product id).")] = None,
    locale: Annotated[Optional[str], typer.Option(help="Only this locale.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the history as JSON (as GET /products/…/history).")] = False,
) -> None:
    """Every published version of a product: cause, who or what wrote it, scores, and the diff to the one before."""
    from workers.history import history

    store = _runtime().store
    if shop is None:
        shops = store.shops_with_product(product_id)
        if len(shops) != 1:
            which = f"shops {', '.join(shops)} have" if shops else "no shop has"
            console.print(f"[red]{which} a product {product_id!r}[/red]" + ("; pick one with --shop" if shops else ""))
            raise typer.Exit(2 if shops else 1)
        shop = shops[0]
    found = history(store, shop, product_id, locale)
    if as_json:
        print(found.model_dump_json(indent=2))
        return
    if not found.versions and not found.kept_updates:
        console.print(f"nothing published for {shop}/{product_id}" + (f" in {locale}" if locale else ""))
        return
    table = Table(title=f"{shop}/{product_id}: {len(found.versions)} versions")
    for col in ("locale", "v", "audience", "published", "cause", "by", "total", "reason", "change"):
        table.add_column(col, overflow="fold")
    for v in found.versions:
        total = v.scores.get("total")
        table.add_row(v.locale, str(v.version), v.audience or "-", f"{v.published_at:%Y-%m-%d %H:%M:%S}",
                      v.cause or "-", v.produced_by, f"{total:.3f}" if total is not None else "-", v.reason or "-",
                      _diff_markup(v.diff) if v.previous_version else v.text)
    out.print(table)
    for k in found.kept_updates:
        out.print(f"[dim]{k.received_at:%Y-%m-%d %H:%M:%S}[/dim] update {k.event_id} left {k.locale} alone: {k.why}")


def _diff_markup(chunks: Any) -> str:
    """A diff in rich markup: removed struck through in red, added in green."""
    from rich.markup import escape

    parts = []
    for c in chunks:
        if c.op == "equal":
            parts.append(escape(c.after))
            continue
        if c.before:
            parts.append(f"[red strike]{escape(c.before)}[/red strike]")
        if c.after:
            parts.append(f"[green]{escape(c.after)}[/green]")
    return "".join(parts)
