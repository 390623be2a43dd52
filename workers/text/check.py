"""One candidate through every check: correction's rules (and a chat model's rewrite), then the fact gate.

The correct stage and the quality benchmark both call this, so what the
benchmark measures is what the pipeline publishes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from schemas.events import Product
from workers.gpu.correct import Correction, Fix, Rewriter, correct
from workers.text.gate import gate


def check_candidate(text: str, product: Product, locale: str, rewriter: Rewriter | None = None, *,
                    restricted_terms: Sequence[str] = (), preferred_terms: Mapping[str, str] | None = None
                    ) -> Correction:
    """The text as it may be published (a sentence the gate refused is gone), and every fix and drop made."""
    fixed = correct(text, product, locale, rewriter, restricted_terms=restricted_terms,
                    preferred_terms=preferred_terms)
    gated = gate(fixed.text, product, locale, shop_terms=tuple((preferred_terms or {}).values()))
    return Correction(text=gated.text, fixes=fixed.fixes + [Fix.model_validate(d.as_issue()) for d in gated.drops])


__all__ = ["check_candidate"]
