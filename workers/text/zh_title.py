"""What a Chinese title says of the product that no fact says: 全自动速开 of 全自动速开帐篷, 磁吸无线 of 磁吸无线充电宝.

A shop's Chinese title is its brand, a model, and one run of words that ends in the product's noun; the words
before the noun in that run are what the product is (a feature, a build, what it depicts), unless a fact says
them already. Numbers with their units (5000毫安时, 60支) are specifications, said from the attributes instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_CJK = re.compile(r"[\u4e00-\u9fff]+")
_AMOUNT = re.compile(r"[\dA-Za-z.%+×\-]+(?:英寸|毫安时|毫升|[支个寸升克件代人片米层])?")


def descriptor(title: str, noun: str, said: Iterable[str], brand: str | None = None) -> str:
    """The words before `noun` in the title's run that holds it, less what `said` (the facts' values) says."""
    if not noun or not _CJK.search(noun):
        return ""
    for run in title.split():
        if brand and run == brand:
            continue
        at = run.rfind(noun)
        if at <= 0 or at + len(noun) != len(run):
            continue
        words = _AMOUNT.sub(" ", run[:at])
        for value in sorted({v for v in said if v and _CJK.search(v)}, key=len, reverse=True):
            words = words.replace(value, " ")
        pieces = [p for p in _CJK.findall(words) if len(p) >= 2 and not any(p in v for v in said)]
        return "".join(pieces)
    return ""


__all__ = ["descriptor"]
