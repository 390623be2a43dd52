"""The read API for a shop and its storefront: current descriptions, candidates and history.

Served by the webhook's app. Each request carries a shop's API key
(`Authorization: Bearer <key>` or `X-Descflow-Key: <key>`, made with
`descflow shop key create SHOP`); the key names the shop, so the paths hold
only the product id — and a key can read no other shop's products.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from schemas.api import CandidatesOut, DescriptionOut, ErrorOut, HistoryOut
from schemas.events import Product
from schemas.tables import PublishedDescription

KEY_HEADER = "X-Descflow-Key"
_bearer = HTTPBearer(auto_error=False, scheme_name="bearer", description="The shop's API key as a bearer token.")
_header = APIKeyHeader(name=KEY_HEADER, auto_error=False, scheme_name="key", description="The shop's API key.")

ProductId = Annotated[str, Path(min_length=1, max_length=128, description="The shop's own product id.")]
LocaleQuery = Annotated[str | None, Query(max_length=35, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$",
                                          description="BCP 47; default: the product's own locale.")]
AudienceQuery = Annotated[str | None, Query(max_length=120, description=(
    "The audience the text was written for; default: the product's first, else the shop's first. A locale "
    "without a text for it answers with its text for no particular audience."))]

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "No API key, or one that is unknown or revoked."},
    404: {"model": ErrorOut, "description": "No such product in the key's shop, or nothing published for it."},
}


def read_router(store: Callable[[], Any]) -> APIRouter:
    """The routes over a store (called per request, so the app opens the database only when first read)."""
    from workers.api_keys import shop_for_key

    router = APIRouter(tags=["read"], responses=ERRORS)

    def shop_of_key(bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
                    key: Annotated[str | None, Security(_header)] = None) -> str:
        presented = key or (bearer.credentials if bearer is not None else None)
        if not presented:
            raise HTTPException(401, f"send the shop's API key as `Authorization: Bearer <key>` or `{KEY_HEADER}: "
                                     "<key>` (make one with `descflow shop key create SHOP`)",
                                headers={"WWW-Authenticate": "Bearer"})
        shop = shop_for_key(store(), presented)
        if shop is None:
            raise HTTPException(401, "the API key is unknown or revoked; `descflow shop key list SHOP` shows the "
                                     "shop's live keys", headers={"WWW-Authenticate": "Bearer"})
        return shop

    by_key = Depends(shop_of_key)  # a default, not an annotation: annotations here are strings, read at module level

    def product_of(shop: str, product_id: str) -> Product:
        row = store().get_product(shop, product_id)
        if row is None:
            raise HTTPException(404, f"shop {shop} has no product {product_id!r}: a product is known after its "
                                     "first product.created or product.updated event")
        return Product.model_validate(row.data)

    @router.get("/products/{product_id}/description", response_model=DescriptionOut,
                summary="The published text a storefront shows now")
    def description(product_id: ProductId, locale: LocaleQuery = None, audience: AudienceQuery = None,
                    shop: str = by_key) -> DescriptionOut:
        from workers.history import version_out
        from workers.shop import audience as default_audience
        from workers.shop import load_profile

        product = product_of(shop, product_id)
        locale = locale or product.locale
        rows = store().current_descriptions(shop, product_id)
        here = [r for r in rows if r.locale == locale]
        if not here:
            where = ", ".join(sorted({r.locale for r in rows})) or "none yet"
            raise HTTPException(404, f"product {product_id!r} has no published description in {locale} "
                                     f"(published locales: {where})")
        wanted = audience if audience is not None else default_audience(load_profile(store(), shop),
                                                                        product.audiences) or ""
        found = _serve(here, wanted, exact=audience is not None)
        if found is None:
            shown = ", ".join(sorted(r.audience or "(none)" for r in here))
            raise HTTPException(404, f"product {product_id!r} has no {locale} text for audience {audience!r} "
                                     f"(audiences published: {shown})")
        return DescriptionOut(**version_out(found))

    @router.get("/products/{product_id}/candidates", response_model=CandidatesOut,
                summary="The newest candidate set per locale, with scores, issues and which was chosen")
    def candidates(product_id: ProductId, locale: LocaleQuery = None, shop: str = by_key) -> CandidatesOut:
        from workers.history import candidate_out

        product_of(shop, product_id)
        rows = store().latest_candidates(shop, product_id, locale)
        return CandidatesOut(shop_id=shop, product_id=product_id, candidates=[candidate_out(r) for r in rows])

    @router.get("/products/{product_id}/history", response_model=HistoryOut,
                summary="Every published version with its cause, producer, scores and diff; updates left alone")
    def history(product_id: ProductId, locale: LocaleQuery = None, shop: str = by_key) -> HistoryOut:
        from workers.history import history as product_history

        product_of(shop, product_id)
        return product_history(store(), shop, product_id, locale)

    return router


def _serve(rows: list[PublishedDescription], audience: str, *, exact: bool) -> PublishedDescription | None:
    """The version to show for an audience: a merchant's text of the locale wins for every audience; then the
    audience's own, then the locale's text for no audience; with no audience asked, the newest."""
    newest = max(rows, key=lambda r: r.version)
    if newest.owner == "merchant":
        return newest
    by_audience = {r.audience: r for r in rows}
    found = by_audience.get(audience) or by_audience.get("")
    return found if found is not None or exact else newest


__all__ = ["KEY_HEADER", "read_router"]
