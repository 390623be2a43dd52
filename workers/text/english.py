"""English number and articles, one inflect engine for the gate, the realiser and correction.

inflect instruments its functions as it is imported, which is not thread-safe: a
worker imports this module in its main thread before task threads start.
"""

from __future__ import annotations

import functools
import re

import inflect


@functools.lru_cache(maxsize=1)
def engine() -> inflect.engine:
    return inflect.engine()


@functools.lru_cache(maxsize=4096)
def singular(word: str) -> str:
    """'blades' -> 'blade'; a word that is no plural stays as it is."""
    return engine().singular_noun(word) or word


def is_plural(word: str) -> bool:
    """'headphones' yes, 'dress' and 'headset' no."""
    return not word.endswith("ss") and bool(engine().singular_noun(word))


def plural(word: str) -> str:
    return engine().plural_noun(word)


def with_article(phrase: str) -> str:
    """'a white shirt', 'an over-ear design'."""
    return engine().a(phrase)


@functools.lru_cache(maxsize=4096)
def article(word: str) -> str:
    """The article `word` takes: 'a' or 'an'."""
    return engine().a(word).split(" ", 1)[0].lower()


_AMERICAN = {"enamelled": "enameled", "sequinned": "sequined", "jewellery": "jewelry", "tasselled": "tasseled",
             "travelling": "traveling", "favourite": "favorite", "centre": "center", "aluminium": "aluminum",
             "moisturiser": "moisturizer", "moisturisers": "moisturizers", "moisturising": "moisturizing",
             "organiser": "organizer", "organisers": "organizers", "travellers": "travelers", "litre": "liter",
             "litres": "liters", "metre": "meter", "metres": "meters", "mould": "mold", "grey": "gray",
             "customised": "customized", "personalised": "personalized", "organised": "organized"}
_AMERICAN_WORD = re.compile(r"\b(" + "|".join(_AMERICAN) + r")\b", re.IGNORECASE)


def american(text: str) -> str:
    """American spelling of the British words a record carries: 'multicoloured' -> 'multicolored', 'analogue' ->
    'analog', 'sequinned' -> 'sequined'."""
    text = re.sub(r"(?<=[Aa]nalog)ue\b", "", re.sub(r"(?<=[Cc]olo)u(?=r)", "", text))
    text = re.sub(r"([Ff])ibre", r"\1iber", text)  # fibre, microfibre, fibreglass
    text = re.sub(r"\b([Nn]on) (?=[a-z])", r"\1-", text)  # non padded -> non-padded
    return _AMERICAN_WORD.sub(lambda m: _AMERICAN[m.group(1).lower()] if m.group(1).islower()
                              else _AMERICAN[m.group(1).lower()].capitalize(), text)


def same_number(found: str, replacement: str) -> str:
    """`replacement` in the number of `found`, judged on each phrase's last word: 'headphones' -> 'headsets'."""
    last_found, last_repl = found.split()[-1], replacement.split()[-1]
    if not (last_found.isalpha() and last_repl.isalpha()):
        return replacement
    head = replacement[: len(replacement) - len(last_repl)]
    if is_plural(last_found) and not is_plural(last_repl):
        return head + plural(last_repl)
    if not is_plural(last_found) and is_plural(last_repl):
        return head + singular(last_repl)
    return replacement
