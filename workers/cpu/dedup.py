"""Near-duplicate detection for descriptions: MinHash LSH over character shingles.

Why character shingles: they need no tokenizer, so Chinese (no spaces between
words) and English go through the same code, and a light edit changes only the
few shingles around it.

Shingle size: k=5 for Latin text (about a word: a one-word edit costs ~5
shingles, while two unrelated English texts share few of them). For CJK-heavy
text k=2: one Han character carries roughly a syllable-word, so a bigram is
about one word, and measured on real Chinese copy (300 AdvertiseGen ad texts,
random pairs of them and of shopping reviews) k=2 keeps re-ordered clauses at
Jaccard >= 0.7 in 100% of cases against 62% for k=3, and 4 substituted
characters in 100% against 96%, while unrelated texts of the same domain never
exceed 0.13 (k=3: 0.06) -- far below the 0.7 threshold either way, so k=3
buys no precision that is needed and costs recall.

Hashing is vectorised: a shingle's hash is a polynomial over its code points
computed for all shingles of a batch of texts at once in numpy, then datasketch's
"affine32" permutations (its seed, its (a, b) pairs) are applied to the whole
batch. A SHA-1 per shingle in Python cost 420 us per 190-character text; this
costs about 50-70 us, which is what lets a million descriptions be indexed in
under two and a half minutes on two cores.

The index lives in Redis so every cpu worker on every machine checks against
the same published descriptions. The layout is compact (see DedupIndex): one
id per key, 16-bit MinHash values (b-bit minwise hashing) packed into shared
strings, and the LSH buckets of each band spread over small Redis hashes that
Redis stores as listpacks. datasketch's own Redis storage keeps one Redis set per
bucket and a list per key, about 5 KiB per text (540 MiB for 100k texts); this
layout needs 771 bytes per text at 1M (bench/dedup.py).
"""

from __future__ import annotations

import json
import re
import unicodedata
import zlib
from collections.abc import Callable, Collection, Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

import numpy as np
import redis
from datasketch import MinHash, MinHashLSH
from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from schemas.settings import Settings
    from workers.cpu.paraphrase import ParaphraseIndex

LATIN_K = 5
CJK_K = 2
CJK_SHARE = 0.3  # share of CJK characters from which a text is shingled as CJK
SEED = 1  # fixed permutation seed: every process must draw the same hash functions
SCHEME = "affine32"  # datasketch 2.0's default, written down so an upgrade cannot change it silently
SHINGLING = f"char-k{LATIN_K}-cjk{CJK_K}-poly64-v2"  # stored in Redis; a change needs a rebuild

# ---------------------------------------------------------------------------
# Shingles and MinHash
# ---------------------------------------------------------------------------

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


class _SeparatorTable(dict[int, Any]):
    """str.translate table: punctuation, symbols and separators become a space; filled on first sight of a character."""

    def __missing__(self, code: int) -> int | str:
        value: int | str = " " if unicodedata.category(chr(code))[0] in "PSZ" else code
        self[code] = value
        return value


_SEPARATORS = _SeparatorTable()


def normalise(text: str) -> str:
    """NFKC (full-width to half-width), lower-case, punctuation and symbols out, whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.translate(_SEPARATORS).split())


def is_cjk_heavy(text: str) -> bool:
    """Whether CJK characters make up at least CJK_SHARE of the non-space characters."""
    chars = text.replace(" ", "")
    return bool(chars) and len(_CJK.findall(chars)) / len(chars) >= CJK_SHARE


def _shingle_source(text: str) -> tuple[str, int]:
    """The normalised text to shingle and its k (spaces dropped from CJK text, where they are layout)."""
    norm = normalise(text)
    if norm and is_cjk_heavy(norm):
        return norm.replace(" ", ""), CJK_K
    return norm, LATIN_K


def shingles(text: str) -> set[str]:
    """Character k-shingles of the normalised text; a text shorter than k is one shingle."""
    norm, k = _shingle_source(text)
    if not norm:
        return set()
    if len(norm) <= k:
        return {norm}
    return {norm[i : i + k] for i in range(len(norm) - k + 1)}


_POLY = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit multiplier of the shingle polynomial
_M64 = (np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))
_M32 = (np.uint32(0x85EBCA6B), np.uint32(0xC2B2AE35))


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h = h * _M64[0]
    h = h ^ (h >> np.uint64(33))
    h = h * _M64[1]
    return h ^ (h >> np.uint64(33))


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's finalizer: datasketch's affine32 scheme pre-mixes every input hash with it."""
    h = h ^ (h >> np.uint32(16))
    h = h * _M32[0]
    h = h ^ (h >> np.uint32(13))
    h = h * _M32[1]
    return h ^ (h >> np.uint32(16))


def _window_hashes(codes: np.ndarray, width: int) -> np.ndarray:
    """Polynomial hash of every `width`-long window of `codes` (uint64), finalised to 32 bits."""
    n = len(codes) - width + 1
    h = np.zeros(n, dtype=np.uint64)
    for j in range(width):
        h = h * _POLY + codes[j : j + n]
    h = _fmix64(h ^ np.uint64(width))  # the width tells a short whole text from a shingle
    return (h >> np.uint64(32)).astype(np.uint32)


def _codes(norms: Sequence[str]) -> np.ndarray:
    return np.frombuffer("".join(norms).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)


def _shingle_hashes(text: str) -> np.ndarray:
    """32-bit hashes of the text's shingles (repeats kept: they cannot change a minimum)."""
    norm, k = _shingle_source(text)
    if not norm:
        return np.empty(0, dtype=np.uint32)
    return _window_hashes(_codes([norm]), min(k, len(norm)))


def _batch_hashes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(hashes, owner): every shingle hash of every text, and the index of the text it belongs to, by owner.

    The texts of one shingle size are concatenated and hashed in one pass;
    windows that straddle two texts are dropped.
    """
    groups: dict[int, list[int]] = {}
    sources = [_shingle_source(t) for t in texts]
    hashes, owners = [], []
    for i, (norm, k) in enumerate(sources):
        if not norm:
            continue
        if len(norm) <= k:  # one shingle: the whole text
            hashes.append(_window_hashes(_codes([norm]), len(norm)))
            owners.append(np.array([i], dtype=np.int64))
        else:
            groups.setdefault(k, []).append(i)
    for k, members in groups.items():
        norms = [sources[i][0] for i in members]
        lengths = np.fromiter((len(n) for n in norms), dtype=np.int64, count=len(norms))
        windows = _window_hashes(_codes(norms), k)
        counts = lengths - k + 1
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        owner = np.repeat(np.asarray(members, dtype=np.int64), counts)
        offset = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
        hashes.append(windows[np.repeat(starts, counts) + offset])
        owners.append(owner)
    if not hashes:
        return np.empty(0, dtype=np.uint32), np.empty(0, dtype=np.int64)
    hv, owner = np.concatenate(hashes), np.concatenate(owners)
    order = np.argsort(owner, kind="stable")
    return hv[order], owner[order]


@lru_cache(maxsize=8)
def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    a, b = MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME).permutations
    return a.astype(np.uint32)[:, None], b.astype(np.uint32)[:, None]


EMPTY = np.uint32(0xFFFFFFFF)  # datasketch's value for "no element seen"
_BATCH_ELEMENTS = 1 << 22  # shingles x permutations per numpy step (16 MiB of uint32)


def signatures(texts: Sequence[str], num_perm: int = 128) -> np.ndarray:
    """(len(texts), num_perm) uint32 MinHash values; a text with nothing to shingle is all EMPTY.

    The values datasketch's MinHash(scheme="affine32", seed=SEED) holds after
    update_batch() of the same shingle hashes, computed for the whole batch at
    once: permutations x shingles in one array, then a minimum per text.
    """
    a, b = _permutations(num_perm)
    out = np.full((num_perm, len(texts)), EMPTY, dtype=np.uint32)
    hv, owner = _batch_hashes(texts)
    if not len(hv):
        return out.T.copy()
    hv = _fmix32(hv)
    step = max(1, _BATCH_ELEMENTS // num_perm)
    buf = np.empty((num_perm, min(step, len(hv))), dtype=np.uint32)
    pos = 0
    while pos < len(hv):
        end = min(pos + step, len(hv))
        if end < len(hv):  # cut between texts, so each text's minimum is taken in one step
            cut = int(np.searchsorted(owner, owner[end], side="left"))
            end = cut if cut > pos else int(np.searchsorted(owner, owner[end], side="right"))
        part = buf[:, : end - pos] if end - pos <= buf.shape[1] else np.empty((num_perm, end - pos), np.uint32)
        np.multiply(a, hv[None, pos:end], out=part)
        np.add(part, b, out=part)  # uint32 wrap-around is the scheme's modulo 2^32
        own = owner[pos:end]
        firsts = np.flatnonzero(np.concatenate(([True], own[1:] != own[:-1])))
        out[:, own[firsts]] = np.minimum.reduceat(part, firsts, axis=1)
        pos = end
    return out.T.copy()


def minhash(text: str, num_perm: int = 128) -> MinHash:
    """MinHash of the text's shingles; seeded and deterministic, so identical in every process."""
    return MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME, hashvalues=signatures([text], num_perm)[0])


def _similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard: the share of equal MinHash values."""
    return float(np.count_nonzero(a == b)) / len(a)


SIG_BITS = 16  # bits of each MinHash value kept in Redis (b-bit minwise hashing)
_CHANCE = 1.0 / (1 << SIG_BITS)  # probability that two different values agree on their low bits


def bbit_similarity(matches: np.ndarray | float) -> np.ndarray | float:
    """Jaccard estimate from the share of equal 16-bit values, corrected for chance agreement (Li & Koenig 2010)."""
    return np.clip((matches - _CHANCE) / (1.0 - _CHANCE), 0.0, 1.0)


class DuplicateHit(BaseModel):
    """A published text that a query duplicates: its key, how similar, and which check found it."""

    key: str
    similarity: float  # minhash: estimated Jaccard of the shingle sets; embedding: cosine similarity
    method: str = Field("minhash", description="minhash, embedding or in-set")


# ---------------------------------------------------------------------------
# Redis connection
# ---------------------------------------------------------------------------

_CERT_REQS = {"required": "required", "cert_required": "required", "optional": "optional",
              "cert_optional": "optional", "none": "none", "cert_none": "none"}


def _query_value(query: dict[str, list[str]], *names: str) -> str | None:
    for name in names:
        if query.get(name):
            return query[name][0]
    return None


def _db_of(path: str, query: dict[str, list[str]]) -> int:
    raw = _query_value(query, "db", "virtual_host") or path.strip("/") or "0"
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"Redis database must be a number, got {raw!r}") from None


def _ssl_kwargs(query: dict[str, list[str]]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"ssl": True}
    reqs = _query_value(query, "ssl_cert_reqs")
    if reqs:
        kwargs["ssl_cert_reqs"] = _CERT_REQS.get(reqs.lower(), reqs)
    for name in ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile"):
        value = _query_value(query, name)
        if value:
            kwargs[name] = value
    return kwargs


def redis_kwargs(url: str) -> dict[str, Any]:
    """redis.Redis keyword arguments for redis://, rediss://, unix:// or redis+socket:// URLs."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    query = parse_qs(parts.query)
    kwargs: dict[str, Any] = {}
    if parts.username:
        kwargs["username"] = unquote(parts.username)
    password = parts.password or _query_value(query, "password")
    if password:
        kwargs["password"] = unquote(password)
    if scheme in ("unix", "redis+socket"):
        if not parts.path:
            raise ValueError(f"{scheme}:// URL needs a socket path, e.g. {scheme}:///run/redis.sock")
        kwargs.update(unix_socket_path=unquote(parts.path), db=_db_of("", query))
    elif scheme in ("redis", "rediss"):
        kwargs.update(host=parts.hostname or "localhost", port=parts.port or 6379, db=_db_of(parts.path, query))
        if scheme == "rediss":
            kwargs.update(_ssl_kwargs(query))
    else:
        raise ValueError(f"not a Redis URL: {scheme or url!r} (use redis://, rediss://, unix:// or redis+socket://)")
    return kwargs


# ---------------------------------------------------------------------------
# The shared index
# ---------------------------------------------------------------------------

LAYOUT = "compact-v3"
BUCKET_SHARD_BITS = 14  # sorted sets per band: 16,384, so a million texts leave ~60 members in each (a listpack)
KEY_SHARDS = 1 << 14  # key -> id hashes
PER_STRING = 256  # records packed into one Redis string
PER_NAME_HASH = 128  # id -> key entries per Redis hash

# A bucket is a run of members in a sorted set: member = bucket (6 bytes) + id (4 bytes),
# all with score 0, so ZADD/ZREM change one membership without reading the bucket and
# ZRANGE BYLEX over the 6-byte prefix lists it. Updates take their entries as one packed
# argument, since redis-py spends far longer packing many small arguments than Redis
# spends running the script. ARGV[1]: the key prefix; ARGV[2]: 13-byte entries (band: 1
# byte, shard: 2 bytes big-endian, bucket: 6 bytes, id: 4 bytes); ARGV[3]: '1' to add,
# '0' to remove. Key names are built in the script, so this needs a single Redis server,
# not a cluster.
_ENTRY = 13
_BUCKETS_LUA = """
local prefix, blob, adding = ARGV[1], ARGV[2], ARGV[3] == '1'
for p = 1, #blob, 13 do
  local k = prefix .. string.byte(blob, p) .. ':' .. (string.byte(blob, p + 1) * 256 + string.byte(blob, p + 2))
  if adding then
    redis.call('ZADD', k, 0, string.sub(blob, p + 3, p + 12))
  else
    redis.call('ZREM', k, string.sub(blob, p + 3, p + 12))
  end
end
return #blob / 13
"""


# Claim ids for new keys in bulk: ARGV[1]: the id-to-key hash prefix; then per key its
# key-to-id hash, the key and the id offered. A key already there keeps its id. Returns
# one byte per key: 1 when the offered id was taken.
_CLAIM_LUA = """
local prefix, out = ARGV[1], {}
for i = 2, #ARGV, 3 do
  local id = tonumber(ARGV[i + 2])
  if redis.call('HSETNX', ARGV[i], ARGV[i + 1], id) == 1 then
    redis.call('HSET', prefix .. math.floor(id / 128), tostring(id % 128), ARGV[i + 1])
    out[#out + 1] = '1'
  else
    out[#out + 1] = '0'
  end
end
return table.concat(out)
"""


# A whole query in one round trip. ARGV: bucket prefix, record prefix, record size,
# probes (13-byte entries as above, id ignored), most candidates to check (0: all), then
# (key-to-id hash, key) pairs to exclude. Beyond the cap, the candidates sharing the most
# bands with the query are checked first: the number of bands shared grows with the
# Jaccard similarity, so in a dense neighbourhood (templated copy) the likeliest
# duplicates are the ones read. Returns two strings: the live candidates' records end
# to end, and their 4-byte ids end to end (two bulk replies, not two per candidate:
# parsing the reply was most of a query with hundreds of candidates); the keys of the
# few that pass the similarity check are read after.
_QUERY_LUA = """
local bprefix, rprefix, size, probes, cap = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local skip = {}
for i = 6, #ARGV, 2 do
  local id = redis.call('HGET', ARGV[i], ARGV[i + 1])
  if id then skip[tonumber(id)] = true end
end
local shared, order, packed = {}, {}, {}
for p = 1, #probes, 13 do
  local k = bprefix .. string.byte(probes, p) .. ':' .. (string.byte(probes, p + 1) * 256 + string.byte(probes, p + 2))
  local bucket = string.sub(probes, p + 3, p + 8)
  for _, m in ipairs(redis.call('ZRANGE', k, '[' .. bucket, '[' .. bucket .. '\\255\\255\\255\\255', 'BYLEX')) do
    local a, b, c, d = string.byte(m, 7, 10)
    local id = a + b * 256 + c * 65536 + d * 16777216
    if not skip[id] then
      if shared[id] then
        shared[id] = shared[id] + 1
      else
        shared[id] = 1
        order[#order + 1] = id
        packed[id] = string.sub(m, 7, 10)
      end
    end
  end
end
if cap > 0 and #order > cap then
  local by = {}
  for _, id in ipairs(order) do
    local n = shared[id]
    by[n] = by[n] or {}
    by[n][#by[n] + 1] = id
  end
  order = {}
  for n = #probes / 13, 1, -1 do
    for _, id in ipairs(by[n] or {}) do
      if #order >= cap then break end
      order[#order + 1] = id
    end
  end
end
local records, ids, n = {}, {}, 0
for _, id in ipairs(order) do
  local offset = (id % 256) * size
  local record = redis.call('GETRANGE', rprefix .. math.floor(id / 256), offset, offset + size - 1)
  if string.byte(record, 1) == 1 then
    n = n + 1
    records[n] = record
    ids[n] = packed[id]
  end
end
return {table.concat(records), table.concat(ids)}
"""


def bucket_entries(band_hashes: np.ndarray, idents: np.ndarray) -> bytes:
    """The packed (band, shard, field, id) entries of texts with these band hashes and ids, for _BUCKETS_LUA."""
    n, bands = band_hashes.shape
    out = np.empty((n, bands, _ENTRY), dtype=np.uint8)
    out[:, :, 0] = np.arange(bands, dtype=np.uint8)
    shard = (band_hashes >> np.uint64(64 - BUCKET_SHARD_BITS)).astype(">u2")
    out[:, :, 1:3] = shard.view(np.uint8).reshape(n, bands, 2)
    out[:, :, 3:9] = band_hashes.astype("<u8").view(np.uint8).reshape(n, bands, 8)[:, :, :6]
    ids = np.repeat(np.asarray(idents, dtype="<u4")[:, None], bands, axis=1)
    out[:, :, 9:13] = ids.view(np.uint8).reshape(n, bands, 4)
    return out.tobytes()


LSH_WEIGHTS = (0.1, 0.9)  # (false positive, false negative) weights of datasketch's band/row optimiser


@lru_cache(maxsize=32)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) for the threshold, weighted towards recall.

    datasketch's even weights give 14 bands x 9 rows at 0.7, which makes a pair at
    Jaccard 0.7 an LSH candidate only 44% of the time (0.75: 67%); with (0.1, 0.9)
    it is 20 x 6: 92% at 0.7, 98% at 0.75, while a pair at 0.2 still becomes a
    candidate 0.1% of the time. A false candidate costs one signature read; a
    missed duplicate is published.
    """
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=LSH_WEIGHTS)
    return lsh.b, lsh.r


def _band_hashes(sig16: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) uint64: one hash per band of r 16-bit MinHash values."""
    view = sig16[:, : bands * rows].reshape(len(sig16), bands, rows).astype(np.uint64)
    h = np.zeros((len(sig16), bands), dtype=np.uint64)
    for j in range(rows):
        h = (h ^ view[:, :, j]) * _POLY
    return _fmix64(h)


class DedupIndex:
    """MinHash LSH index in Redis, shared by every worker that uses the same namespace.

    Layout under `{namespace}:`

    - `meta`: the parameters it was built with (a mismatch is refused, not mixed);
    - `id:{crc32(key) % 16384}` (hash): key -> integer id; `name:{id // 128}` (hash): id -> key;
    - `rec:{id // 256}` (string): 256 fixed-size records, each a live flag and
      the 16-bit MinHash values (to estimate the Jaccard of each LSH candidate,
      and to find the key's buckets again when it is removed or replaced);
    - `b:{band}:{band hash >> 50}` (sorted set, all scores 0): members = the band
      hash's low 6 bytes + a 4-byte id, one per text whose band has that hash;
    - `count`, `next`: live keys, last id given; `lock:{key}`: short-lived locks
      that serialise add/remove of one key.

    A replaced text keeps its key's id; a removed key's record is zeroed (a
    rebuild compacts the ids).
    """

    def __init__(
        self,
        redis_url: str,
        *,
        namespace: str = "descflow:dedup",
        threshold: float = 0.7,
        num_perm: int = 128,
        max_candidates: int = 256,
        client: redis.Redis | None = None,
    ) -> None:
        self.namespace = namespace
        self.threshold = threshold
        self.num_perm = num_perm
        self.max_candidates = max_candidates
        self._redis = client or redis.Redis(**redis_kwargs(redis_url), socket_connect_timeout=5, socket_timeout=30,
                                            health_check_interval=30)
        self.bands, self.rows = lsh_params(threshold, num_perm)
        self.record_size = 1 + 2 * num_perm
        self._meta_key = f"{namespace}:meta"
        self._count_key = f"{namespace}:count"
        self._next_key = f"{namespace}:next"
        self._buckets = self._redis.register_script(_BUCKETS_LUA)
        self._claim = self._redis.register_script(_CLAIM_LUA)
        self._query_script = self._redis.register_script(_QUERY_LUA)
        self._bucket_prefix = f"{namespace}:b:"
        self._meta_checked = False

    # -- keys -------------------------------------------------------------

    def _id_hash(self, key: str) -> str:
        return f"{self.namespace}:id:{zlib.crc32(key.encode()) % KEY_SHARDS}"

    def _name_hash(self, ident: int) -> str:
        return f"{self.namespace}:name:{ident // PER_NAME_HASH}"

    def _rec_string(self, ident: int) -> tuple[str, int]:
        return f"{self.namespace}:rec:{ident // PER_STRING}", (ident % PER_STRING) * self.record_size

    def _update_buckets(self, band_hashes: np.ndarray, idents: Sequence[int], *, add: bool,
                        client: Any = None) -> None:
        entries = bucket_entries(band_hashes.reshape(len(idents), -1), np.asarray(idents))
        self._buckets(keys=[], args=[self._bucket_prefix, entries, "1" if add else "0"], client=client)

    # -- parameters -----------------------------------------------------

    def _meta(self) -> dict[str, Any]:
        return {"num_perm": self.num_perm, "bands": self.bands, "rows": self.rows, "seed": SEED,
                "scheme": SCHEME, "shingling": SHINGLING, "layout": LAYOUT, "sig_bits": SIG_BITS}

    def _check_meta(self) -> None:
        """Refuse to mix sketches built with other parameters: their buckets would never match."""
        if self._meta_checked:
            return
        mine = self._meta()
        self._redis.set(self._meta_key, json.dumps(mine, sort_keys=True), nx=True)
        stored = json.loads(self._redis.get(self._meta_key) or "{}")
        if stored != mine:
            raise ValueError(
                f"dedup namespace {self.namespace!r} was built with {stored}, this index uses {mine}; "
                "run `descflow dedup rebuild` (it clears the namespace and re-indexes the published "
                "descriptions) or use another namespace"
            )
        self._meta_checked = True

    # -- sketches ---------------------------------------------------------

    def sketch(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(16-bit signatures, band hashes, indexable mask) of `texts`, for add_many's parallel hashing."""
        return _sketch(texts, self.num_perm, self.bands, self.rows)

    def _record(self, sig16: np.ndarray) -> bytes:
        return b"\x01" + sig16.astype("<u2").tobytes()

    def _parse(self, raw: bytes) -> np.ndarray | None:
        """The 16-bit signature of a live record; None for a removed or never-written slot."""
        if len(raw) != self.record_size or raw[0] != 1:
            return None
        return np.frombuffer(raw, dtype="<u2", offset=1)

    def _read_record(self, ident: int) -> np.ndarray | None:
        name, offset = self._rec_string(ident)
        return self._parse(self._redis.getrange(name, offset, offset + self.record_size - 1))

    def _bands_of(self, sig16: np.ndarray) -> np.ndarray:
        return _band_hashes(sig16[None, :], self.bands, self.rows)[0]

    # -- writes -----------------------------------------------------------

    def _lock(self, key: str) -> Any:
        return self._redis.lock(f"{self.namespace}:lock:{key}", timeout=30, blocking_timeout=30)

    def add(self, key: str, text: str) -> None:
        """Index `text` under `key`, replacing what the key had; re-adding the same text is a no-op.

        A text with nothing to shingle (only punctuation) cannot be compared,
        so it removes the key's old entry and indexes nothing.
        """
        self._check_meta()
        sig16, bands, indexable = self.sketch([text])
        with self._lock(key):
            if not indexable[0]:
                self._remove_unlocked(key)
                return
            self._write_unlocked(key, sig16[0], bands[0])

    def _write_unlocked(self, key: str, sig16: np.ndarray, bands: np.ndarray) -> None:
        raw_id = self._redis.hget(self._id_hash(key), key)
        record = self._record(sig16)
        if raw_id is not None:
            ident = int(raw_id)
            old = self._read_record(ident)
            if old is not None and np.array_equal(old, sig16):
                return
            if old is not None:
                self._update_buckets(self._bands_of(old), [ident], add=False)
        else:
            ident = int(self._redis.incr(self._next_key))
        name, offset = self._rec_string(ident)
        pipe = self._redis.pipeline(transaction=False)
        pipe.setrange(name, offset, record)
        if raw_id is None:
            pipe.hset(self._name_hash(ident), str(ident % PER_NAME_HASH), key)
            pipe.hset(self._id_hash(key), key, ident)
            pipe.incr(self._count_key)
        pipe.execute()
        self._update_buckets(bands, [ident], add=True)

    def add_many(self, items: Iterable[tuple[str, str]], *, batch: int = 2000, processes: int = 1,
                 progress: Callable[[int], None] | None = None) -> int:
        """Index many (key, text) pairs: hashing in `processes` processes, Redis writes pipelined.

        Keys not in the index yet are written in bulk; a key that is already
        there (or that a worker adds meanwhile) goes through add(), under its
        lock. Returns the number of texts indexed.
        """
        self._check_meta()
        pending = list(items)
        chunks = [pending[i : i + batch] for i in range(0, len(pending), batch)]
        texts = [[t for _, t in c] for c in chunks]
        done = 0

        def write(chunk: Sequence[tuple[str, str]], sketch: tuple[np.ndarray, np.ndarray, np.ndarray]) -> int:
            written = self._bulk_write(chunk, sketch)
            if progress is not None:
                progress(len(chunk))
            return written

        if processes > 1 and len(chunks) > 1:
            import multiprocessing

            # Hashing is the cost; the parent writes to Redis while the pool hashes the next batches.
            with multiprocessing.get_context("spawn").Pool(processes, initializer=_quiet_worker) as pool:
                sketches = pool.imap(_sketch_chunk, [(self.num_perm, self.bands, self.rows, t) for t in texts])
                for c, sk in zip(chunks, sketches):
                    done += write(c, sk)
                return done
        for c, t in zip(chunks, texts):
            done += write(c, self.sketch(t))
        return done

    def _bulk_write(self, chunk: Sequence[tuple[str, str]],
                    sketch: tuple[np.ndarray, np.ndarray, np.ndarray]) -> int:
        sig16, bands, indexable = sketch
        keep = [i for i in range(len(chunk)) if indexable[i]]
        for i in range(len(chunk)):
            if not indexable[i]:
                self.remove(chunk[i][0])
        if not keep:
            return 0
        last = int(self._redis.incrby(self._next_key, len(keep)))
        idents = list(range(last - len(keep) + 1, last + 1))
        args: list[Any] = [f"{self.namespace}:name:"]
        for i, ident in zip(keep, idents):
            args += [self._id_hash(chunk[i][0]), chunk[i][0], ident]
        claimed = self._claim(keys=[], args=args)  # also writes id -> key for the ids taken
        fresh = [(i, ident) for i, ident, ok in zip(keep, idents, claimed) if ok == ord("1")]
        taken = [i for i, ok in zip(keep, claimed) if ok != ord("1")]
        records = {ident: self._record(sig16[i]) for i, ident in fresh}
        pipe = self._redis.pipeline(transaction=False)
        for name, offset, data in self._contiguous(records):
            pipe.setrange(name, offset, data)
        if fresh:
            rows = [i for i, _ in fresh]
            self._update_buckets(bands[rows], [ident for _, ident in fresh], add=True, client=pipe)
        pipe.incrby(self._count_key, len(fresh))
        pipe.execute()
        for i in taken:  # an existing key: replace it the careful way
            with self._lock(chunk[i][0]):
                self._write_unlocked(chunk[i][0], sig16[i], bands[i])
        return len(keep)

    def _contiguous(self, records: dict[int, bytes]) -> Iterable[tuple[str, int, bytes]]:
        """Runs of consecutive ids within one record string, as (string, offset, bytes) for one SETRANGE each."""
        run: list[int] = []
        for ident in sorted(records):
            if run and (ident != run[-1] + 1 or ident // PER_STRING != run[0] // PER_STRING):
                name, offset = self._rec_string(run[0])
                yield name, offset, b"".join(records[r] for r in run)
                run = []
            run.append(ident)
        if run:
            name, offset = self._rec_string(run[0])
            yield name, offset, b"".join(records[r] for r in run)

    def remove(self, key: str) -> None:
        """Forget `key`; a key that is not there is fine."""
        self._check_meta()
        with self._lock(key):
            self._remove_unlocked(key)

    def _remove_unlocked(self, key: str) -> None:
        raw_id = self._redis.hget(self._id_hash(key), key)
        if raw_id is None:
            return
        ident = int(raw_id)
        old = self._read_record(ident)
        name, offset = self._rec_string(ident)
        # Record first: a query racing with us then drops the id as a candidate.
        pipe = self._redis.pipeline(transaction=False)
        pipe.setrange(name, offset, b"\x00" * self.record_size)
        pipe.hdel(self._id_hash(key), key)
        pipe.hdel(self._name_hash(ident), str(ident % PER_NAME_HASH))
        pipe.decr(self._count_key)
        pipe.execute()
        if old is not None:
            self._update_buckets(self._bands_of(old), [ident], add=False)

    def clear(self) -> None:
        """Delete every key of this namespace (and nothing else)."""
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", self.namespace) + ":*"
        batch: list[bytes] = []
        for name in self._redis.scan_iter(match=pattern, count=5000):
            batch.append(name)
            if len(batch) >= 5000:
                self._redis.unlink(*batch)
                batch.clear()
        if batch:
            self._redis.unlink(*batch)
        self._meta_checked = False

    # -- reads ------------------------------------------------------------

    def query(self, text: str, *, exclude: Collection[str] = (), limit: int | None = None) -> list[DuplicateHit]:
        """Indexed keys whose estimated Jaccard with `text` reaches the threshold, most similar first.

        One round trip: a script gathers the LSH candidates of every band,
        drops the excluded keys and returns each candidate's signature; the
        similarity is estimated here, and a second round trip reads the keys
        of the hits, if any. At most `max_candidates` candidates are read,
        those sharing the most bands first; with `limit`, at most
        max(64, 4 * limit) of them, and `limit` hits are returned (enough to
        count, not to rank).
        """
        self._check_meta()
        sig16, bands, indexable = self.sketch([text])
        if not indexable[0]:
            return []
        probes = bucket_entries(bands, np.zeros(1, dtype=np.uint32))
        args: list[Any] = [self._bucket_prefix, f"{self.namespace}:rec:", self.record_size, probes,
                           self._cap(limit)]
        for key in exclude:
            args += [self._id_hash(key), key]
        records, ids = self._query_script(keys=[], args=args)
        if not ids:
            return []
        stored = np.frombuffer(records, dtype=np.uint8).reshape(len(ids) // 4, self.record_size)
        stored16 = np.ascontiguousarray(stored[:, 1:]).view("<u2")
        similarity = bbit_similarity(np.count_nonzero(stored16 == sig16[0], axis=1) / self.num_perm)
        idents = np.frombuffer(ids, dtype="<u4")
        passed = [(int(idents[i]), float(similarity[i])) for i in np.flatnonzero(similarity >= self.threshold)]
        if not passed:
            return []
        pipe = self._redis.pipeline(transaction=False)
        for ident, _ in passed:
            pipe.hget(self._name_hash(ident), str(ident % PER_NAME_HASH))
        hits = [DuplicateHit(key=name.decode(), similarity=round(sim, 4))
                for (_, sim), name in zip(passed, pipe.execute()) if name is not None]  # None: removed meanwhile
        hits.sort(key=lambda h: (-h.similarity, h.key))
        return hits if limit is None else hits[:limit]

    def _cap(self, limit: int | None) -> int:
        """Most candidates to read: 0 for all."""
        caps = [c for c in (self.max_candidates, None if limit is None else max(64, 4 * limit)) if c]
        return min(caps) if caps else 0

    def _ask_buckets(self, pipe: Any, bands: np.ndarray) -> None:
        for band, h in enumerate(bands.tolist()):
            bucket = (h & 0xFFFFFFFFFFFF).to_bytes(6, "little")
            pipe.zrange(f"{self._bucket_prefix}{band}:{h >> (64 - BUCKET_SHARD_BITS)}", b"[" + bucket,
                        b"[" + bucket + b"\xff\xff\xff\xff", bylex=True)

    @staticmethod
    def _members(replies: Sequence[list[bytes]]) -> set[int]:
        return {int.from_bytes(m[6:10], "little") for members in replies for m in members if len(m) == 10}

    def bucket_members(self, text: str) -> set[str]:
        """Keys that share at least one LSH bucket with `text`, before any similarity check (for diagnosis)."""
        self._check_meta()
        _, bands, indexable = self.sketch([text])
        if not indexable[0]:
            return set()
        pipe = self._redis.pipeline(transaction=False)
        self._ask_buckets(pipe, bands[0])
        idents = self._members(pipe.execute())
        names = [self._redis.hget(self._name_hash(i), str(i % PER_NAME_HASH)) for i in sorted(idents)]
        return {n.decode() for n in names if n is not None}

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and bool(self._redis.hexists(self._id_hash(key), key))

    def __len__(self) -> int:
        return int(self._redis.get(self._count_key) or 0)


def _quiet_worker() -> None:
    """Pool processes hash only; Ctrl-C is for the parent to handle."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _sketch(texts: Sequence[str], num_perm: int, bands: int, rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    full = signatures(texts, num_perm)
    sig16 = (full & np.uint32(0xFFFF)).astype(np.uint16)
    return sig16, _band_hashes(sig16, bands, rows), (full != EMPTY).any(axis=1)


def _sketch_chunk(args: tuple[int, int, int, list[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _sketch(args[3], args[0], args[1], args[2])


# ---------------------------------------------------------------------------
# Seller template spam
# ---------------------------------------------------------------------------


class TemplateVerdict(BaseModel):
    """Whether a seller text is a shop-wide template, which the generator should not condense into a description."""

    template: bool
    products: int = Field(description="other products of the shop whose seller text is near-identical (counted up "
                                      "to min_products)")
    similarity: float = Field(0.0, description="estimated Jaccard with the closest of them")
    examples: list[str] = Field(default_factory=list, description="a few of those product ids")

    def __bool__(self) -> bool:
        return self.template


class TemplateIndex:
    """Seller descriptions per shop, to spot one text pasted across many of its products.

    Each shop has its own DedupIndex namespace (`{namespace}:{shop_id}`, keys
    are product ids), so one shop's boilerplate never marks another's; the
    count is the number of the shop's products whose seller text is
    near-identical to the one asked about.
    """

    def __init__(self, redis_url: str, *, namespace: str = "descflow:template", threshold: float = 0.8,
                 min_products: int = 3, num_perm: int = 128) -> None:
        self.redis_url = redis_url
        self.namespace = namespace
        self.threshold = threshold
        self.min_products = min_products
        self.num_perm = num_perm
        self._shops: dict[str, DedupIndex] = {}
        self._client = redis.Redis(**redis_kwargs(redis_url), socket_connect_timeout=5, socket_timeout=30,
                                   health_check_interval=30)  # one connection pool for every shop's index

    def _index(self, shop_id: str) -> DedupIndex:
        index = self._shops.get(shop_id)
        if index is None:
            index = DedupIndex(self.redis_url, namespace=f"{self.namespace}:{shop_id}", threshold=self.threshold,
                               num_perm=self.num_perm, client=self._client)
            self._shops[shop_id] = index
        return index

    def record(self, shop_id: str, product_id: str, text: str | None) -> TemplateVerdict:
        """Remember the product's current seller text (an empty one forgets it) and judge it."""
        index = self._index(shop_id)
        if text and text.strip():
            index.add(product_id, text)
        else:
            index.remove(product_id)
        return self.is_template(shop_id, text, product_id=product_id)

    def is_template(self, shop_id: str, text: str | None, *, product_id: str | None = None) -> TemplateVerdict:
        """A template when at least `min_products` products of the shop (this one counted) share the text."""
        if not text or not text.strip():
            return TemplateVerdict(template=False, products=0)
        needed = self.min_products - 1
        hits = self._index(shop_id).query(text, exclude=[product_id] if product_id else (), limit=max(needed, 1))
        return TemplateVerdict(template=len(hits) >= needed, products=len(hits),
                               similarity=hits[0].similarity if hits else 0.0, examples=[h.key for h in hits[:5]])

    def forget(self, shop_id: str, product_id: str) -> None:
        """Drop a product's seller text (the product was deleted)."""
        self._index(shop_id).remove(product_id)

    def clear(self, shop_id: str) -> None:
        self._index(shop_id).clear()


# ---------------------------------------------------------------------------
# In-memory helpers
# ---------------------------------------------------------------------------

BRUTE_FORCE_MAX = 2000  # below this, comparing every pair is cheaper than LSH and misses nothing


def _candidate_pairs(sigs: np.ndarray, indices: list[int], threshold: float) -> list[tuple[int, int, float]]:
    pairs = []
    for pos, i in enumerate(indices[:-1]):
        rest = sigs[pos + 1 :]
        sims = np.count_nonzero(rest == sigs[pos], axis=1) / sigs.shape[1]
        for offset in np.nonzero(sims >= threshold)[0]:
            pairs.append((i, indices[pos + 1 + int(offset)], float(sims[offset])))
    return pairs


def _lsh_pairs(
    hashes: list[MinHash], indices: list[int], threshold: float, num_perm: int
) -> list[tuple[int, int, float]]:
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=LSH_WEIGHTS)
    by_index = dict(zip(indices, hashes))
    for i, m in by_index.items():
        lsh.insert(i, m)
    pairs = []
    for i, m in by_index.items():
        for j in lsh.query(m):
            if j > i and (sim := m.jaccard(by_index[j])) >= threshold:
                pairs.append((i, j, sim))
    return pairs


def near_duplicates_within(
    texts: Sequence[str], threshold: float = 0.7, *, num_perm: int = 128
) -> list[tuple[int, int, float]]:
    """(i, j, similarity) with i < j for every near-duplicate pair, most similar first.

    Meant for a small candidate set (the candidates written for one product),
    where every pair is compared; large inputs fall back to LSH.
    """
    all_sigs = signatures(texts, num_perm)
    indices = [i for i in range(len(texts)) if (all_sigs[i] != EMPTY).any()]
    if len(indices) < 2:
        return []
    sigs = all_sigs[indices]
    if len(indices) <= BRUTE_FORCE_MAX:
        pairs = _candidate_pairs(sigs, indices, threshold)
    else:
        hashes = [MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME, hashvalues=s) for s in sigs]
        pairs = _lsh_pairs(hashes, indices, threshold, num_perm)
    return sorted(((i, j, round(s, 4)) for i, j, s in pairs), key=lambda p: (-p[2], p[0], p[1]))


# Sentences end at EN/ZH terminators (a dot only when no digit follows) or a
# line break; closing quotes/brackets and the following spaces stay with them.
_SENTENCE = re.compile(r".+?(?:[。！？!?…]+[”’\"'）)]*|\.(?!\d)[”’\"')]*|\n+|$)\s*", re.DOTALL)
SENTENCE_SIMILARITY = 0.9  # exact shingle Jaccard above which a later sentence repeats an earlier one
MIN_FUZZY_CHARS = 12  # shorter sentences must repeat exactly: one word is a big share of them


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _repeats(norm: str, sentence_shingles: set[str], kept: list[tuple[str, set[str]]]) -> bool:
    for other_norm, other_shingles in kept:
        if norm == other_norm:
            return True
        long_enough = min(len(norm), len(other_norm)) >= MIN_FUZZY_CHARS
        if long_enough and _jaccard(sentence_shingles, other_shingles) >= SENTENCE_SIMILARITY:
            return True
    return False


def remove_repeated_sentences(text: str) -> tuple[str, list[str]]:
    """Drop sentences that repeat an earlier one (generators loop); return the text and what was dropped."""
    kept_parts: list[str] = []
    kept: list[tuple[str, set[str]]] = []
    removed: list[str] = []
    for match in _SENTENCE.finditer(text):
        sentence = match.group(0)
        norm = normalise(sentence)
        if not norm:
            kept_parts.append(sentence)
            continue
        sentence_shingles = shingles(sentence)
        if _repeats(norm, sentence_shingles, kept):
            removed.append(sentence.strip())
        else:
            kept.append((norm, sentence_shingles))
            kept_parts.append(sentence)
    if not removed:
        return text, []
    return "".join(kept_parts).rstrip(), removed


# ---------------------------------------------------------------------------
# The catalog: what the pipeline calls
# ---------------------------------------------------------------------------


def locale_of_key(key: str) -> str | None:
    """The locale part of a `shop/product/locale` key (workers.pipeline.dedup_key), if it has one."""
    parts = key.rsplit("/", 1)
    return parts[1] if len(parts) == 2 and parts[1] else None


class CatalogDedup:
    """The published catalog as the pipeline sees it: near-duplicates (MinHash, every language),
    paraphrases (embeddings, English only) and seller templates (per shop).

    publish calls add() for every published text, so a new version of a
    (product, locale) replaces the old one in both indexes; dedup calls
    check() for a candidate set.
    """

    def __init__(self, minhash: DedupIndex, paraphrase: ParaphraseIndex | None, templates: TemplateIndex) -> None:
        self.minhash = minhash
        self.paraphrase = paraphrase
        self.templates = templates

    @classmethod
    def from_settings(cls, settings: Settings) -> CatalogDedup:
        paraphrase = None
        if settings.paraphrase_check:
            from workers.cpu.paraphrase import Embedder, ParaphraseIndex

            embedder = Embedder(settings.embedding_model, device="cpu")
            paraphrase = ParaphraseIndex(settings.redis_url, embedder, threshold=settings.paraphrase_threshold)
        return cls(
            DedupIndex(settings.redis_url, threshold=settings.dedup_threshold, num_perm=settings.dedup_num_perm,
                       max_candidates=settings.dedup_max_candidates),
            paraphrase,
            TemplateIndex(settings.redis_url, threshold=settings.template_threshold,
                          min_products=settings.template_min_products, num_perm=settings.dedup_num_perm),
        )

    def _embeds(self, text: str, locale: str | None) -> bool:
        if self.paraphrase is None:
            return False
        from workers.cpu.paraphrase import is_english

        return is_english(text, locale)

    def add(self, key: str, text: str, locale: str | None = None) -> None:
        """Index a published text under its key, replacing the key's previous text everywhere."""
        locale = locale or locale_of_key(key)
        self.minhash.add(key, text)
        if self.paraphrase is not None:
            if self._embeds(text, locale) and text.strip():
                self.paraphrase.add(key, text)
            else:
                self.paraphrase.remove(key)

    def seller_template(self, shop_id: str, product_id: str, seller_text: str | None) -> TemplateVerdict:
        """Record the product's seller text and say whether the shop pastes it across products (truthy if so).

        Repeating the call for the same text changes nothing, so a retried stage may call it again.
        """
        return self.templates.record(shop_id, product_id, seller_text)

    def remove(self, key: str) -> None:
        self.minhash.remove(key)
        if self.paraphrase is not None:
            self.paraphrase.remove(key)

    def query(self, text: str, *, exclude: Collection[str] = (), locale: str | None = None) -> list[DuplicateHit]:
        """MinHash hits; when there are none and the text is English, paraphrase hits."""
        return self.check([text], exclude=exclude, locale=locale)[0]

    def check(self, texts: Sequence[str], *, exclude: Collection[str] = (),
              locale: str | None = None) -> list[list[DuplicateHit]]:
        """Hits per text, most similar first: MinHash first, embeddings for the English texts it finds nothing for."""
        out = [self.minhash.query(t, exclude=exclude) if t.strip() else [] for t in texts]
        misses = [i for i, t in enumerate(texts) if not out[i] and t.strip() and self._embeds(t, locale)]
        if misses and self.paraphrase is not None:
            vectors = self.paraphrase.embed([texts[i] for i in misses])
            for i, hits in zip(misses, self.paraphrase.query_vectors(vectors, exclude=exclude)):
                out[i] = hits
        return out

    def rebuild(self, rows: Sequence[tuple[str, str, str | None]], *, processes: int = 1,
                progress: Callable[[str, int], None] | None = None) -> tuple[int, int]:
        """Clear both indexes and index (key, text, locale) rows; returns (texts hashed, texts embedded).

        `progress(stage, n)` is told after each batch how many rows of the
        stage ("minhash", "embedding") were done.
        """
        self.minhash.clear()
        if self.paraphrase is not None:
            self.paraphrase.clear()
        report = (lambda n: progress("minhash", n)) if progress else None
        indexed = self.minhash.add_many([(k, t) for k, t, _ in rows], processes=processes, progress=report)
        embedded = 0
        if self.paraphrase is not None:
            english = [(k, t) for k, t, loc in rows if t.strip() and self._embeds(t, loc or locale_of_key(k))]
            for start in range(0, len(english), 256):
                embedded += self.paraphrase.add_many(english[start : start + 256])
                if progress is not None:
                    progress("embedding", len(english[start : start + 256]))
        return indexed, embedded
