"""Finding known phrases (values, product types) in a text at the cost of one dictionary lookup per word.

English phrases are matched on whole words, Chinese ones on characters; a
phrase is looked up in the same normal form (roles.norm) the text is in.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar

V = TypeVar("V")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[0-9a-zà-öø-ÿ]+(?:[-'’./°][0-9a-zà-öø-ÿ]+)*")


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


@functools.cache
def segmenter() -> Any:
    """jieba, its lines through the worker's own log format: it comes with a stderr handler of its own, whose
    plain lines (debug notes on loading its dictionary) would break a JSON log."""
    import jieba
    import jieba.posseg  # noqa: F401 - the part-of-speech tagger, jieba.posseg, for the gate's fragment check

    jieba.default_logger.handlers.clear()
    jieba.setLogLevel(logging.WARNING)
    return jieba


def words(text: str) -> list[tuple[int, int, str]]:
    """(start, end, word) of the Latin words of a normalised text."""
    return [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text)]


def word_key(phrase: str) -> str:
    return " ".join(w for _, _, w in words(phrase))


class PhraseIndex(Generic[V]):
    """Phrases with a value each; find() reports the longest match at each place, left to right."""

    def __init__(self, entries: Mapping[str, V]) -> None:
        self.latin: dict[str, V] = {}
        self.cjk: dict[str, V] = {}
        for form, value in entries.items():
            if has_cjk(form):
                self.cjk.setdefault(form, value)
            elif key := word_key(form):
                self.latin.setdefault(key, value)
        self.max_words = max((k.count(" ") + 1 for k in self.latin), default=0)
        self.max_chars = max((len(k) for k in self.cjk), default=0)

    def find(self, text: str, *, every: bool = False) -> Iterator[tuple[int, int, str, V]]:
        """(start, end, phrase, value) in `text`; every=True also reports phrases inside longer ones."""
        toks = words(text)
        i = 0
        while i < len(toks):
            step = 1
            for n in range(min(self.max_words, len(toks) - i), 0, -1):
                key = " ".join(t[2] for t in toks[i:i + n])
                if key in self.latin:
                    yield toks[i][0], toks[i + n - 1][1], key, self.latin[key]
                    if not every:
                        step = n
                        break
            i += step
        i = 0
        while i < len(text) and self.max_chars:
            step = 1
            for size in range(min(self.max_chars, len(text) - i), 0, -1):
                sub = text[i:i + size]
                if sub in self.cjk:
                    yield i, i + size, sub, self.cjk[sub]
                    if not every:
                        step = size
                        break
            i += step


__all__ = ["PhraseIndex", "has_cjk", "word_key", "words"]
