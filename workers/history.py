"""A product's change history: every published version, who or what wrote it, and what changed.

Diffs are computed on read from the stored texts, so nothing is stored twice:
word by word for languages written with spaces, character by character for
Chinese and Japanese, where a "word" would be a whole clause.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from schemas.api import CandidateOut, DiffChunk, HistoryEntry, HistoryOut, IssueOut, KeptUpdate
from schemas.tables import CAUSES, DescriptionCandidate, InboundEvent, PublishedDescription

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
_CHAR_LANGUAGES = {"zh", "ja"}


def tokens(text: str, locale: str) -> list[str]:
    """The units a diff compares: characters for zh/ja, else words, spaces and punctuation (joined back exactly)."""
    if locale.split("-")[0].lower() in _CHAR_LANGUAGES:
        return list(text)
    return _TOKEN.findall(text)


def diff(before: str, after: str, locale: str) -> list[DiffChunk]:
    """difflib's opcodes over tokens, each chunk with its text on both sides."""
    a, b = tokens(before, locale), tokens(after, locale)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return [DiffChunk(op=op, before="".join(a[i1:i2]), after="".join(b[j1:j2]))  # type: ignore[arg-type]
            for op, i1, i2, j1, j2 in matcher.get_opcodes()]


def render(chunks: Sequence[DiffChunk]) -> str:
    """Inline form: unchanged text as is, [-removed-] and {+added+}."""
    out = []
    for c in chunks:
        if c.op == "equal":
            out.append(c.after)
        else:
            out.append((f"[-{c.before}-]" if c.before else "") + (f"{{+{c.after}+}}" if c.after else ""))
    return "".join(out)


def produced_by(row: PublishedDescription) -> str:
    if row.owner == "merchant":
        return "merchant"
    return row.model or "descflow"


def version_out(row: PublishedDescription) -> dict:
    """The fields every published-version answer shares."""
    return {
        "product_id": row.product_id, "locale": row.locale, "audience": row.audience or None,
        "version": row.version, "text": row.text,
        "scores": {k: float(v) for k, v in (row.scores or {}).items() if isinstance(v, (int, float))},
        "published_at": row.created_at, "cause": row.cause if row.cause in CAUSES else None, "reason": row.reason,
        "owner": "merchant" if row.owner == "merchant" else None, "produced_by": produced_by(row),
        "model": row.model, "decoding": row.decoding, "candidate_id": row.candidate_id,
        "source_event_id": row.event_id,
    }


def entries(rows: Sequence[PublishedDescription]) -> list[HistoryEntry]:
    """Each version with its diff against the version before it of the same (locale, audience), oldest first."""
    previous: dict[tuple[str, str], PublishedDescription] = {}
    out = []
    for row in sorted(rows, key=lambda r: (r.locale, r.version)):
        key = (row.locale, row.audience or "")
        before = previous.get(key)
        chunks = diff(before.text if before else "", row.text, row.locale)
        out.append(HistoryEntry(**version_out(row), previous_version=before.version if before else None,
                                diff=chunks, diff_text=render(chunks)))
        previous[key] = row
    return out


def kept_updates(events: Sequence[InboundEvent]) -> list[KeptUpdate]:
    """The updates that left a locale alone, from ingest's recorded decisions."""
    return [KeptUpdate(event_id=e.event_id, received_at=e.received_at, locale=locale, why=why)
            for e in events for locale, why in sorted(((e.decision or {}).get("kept") or {}).items())]


def history(store: object, shop_id: str, product_id: str, locale: str | None = None) -> HistoryOut:
    rows = store.history(shop_id, product_id, locale)  # type: ignore[attr-defined]
    kept = kept_updates(store.product_decisions(shop_id, product_id))  # type: ignore[attr-defined]
    return HistoryOut(shop_id=shop_id, product_id=product_id, versions=entries(rows),
                      kept_updates=[k for k in kept if locale is None or k.locale == locale])


def candidate_out(row: DescriptionCandidate) -> CandidateOut:
    decoding = dict(row.decoding or {})
    issues = [IssueOut.model_validate({**i, "span": list(i["span"]) if i.get("span") else None})
              for i in (row.issues or []) if isinstance(i, dict) and i.get("code")]
    return CandidateOut(
        id=row.id or 0, event_id=row.event_id, locale=row.locale, audience=decoding.get("audience") or None,
        idx=row.idx, stage=row.stage, text=row.text, raw_text=row.raw_text,
        scores={k: float(v) for k, v in (row.scores or {}).items() if isinstance(v, (int, float))},
        explanation=row.explanation, issues=issues, duplicate_of=row.duplicate_of, similarity=row.similarity,
        chosen=row.chosen, model=row.model, decoding=decoding, created_at=row.created_at)


__all__ = ["candidate_out", "diff", "entries", "history", "kept_updates", "produced_by", "render", "tokens",
           "version_out"]
