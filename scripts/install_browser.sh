#!/usr/bin/env bash
# Makes sure Debian's Chromium and its WebDriver are installed (/usr/bin/chromium,
# /usr/bin/chromedriver) for the Flower browser test; installs them from Debian's
# packages when they are missing. Nothing is downloaded from anywhere else: the test
# hands Selenium the driver path, so Selenium Manager never runs. Idempotent.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
DRIVER=/usr/bin/chromedriver
PACKAGES=(chromium chromium-driver)

present() { [ -x "$CHROMIUM" ] && [ -x "$DRIVER" ]; }
fail() {
  [ -s "${LOG:-}" ] && cat "$LOG" >&2
  echo "install_browser: $*" >&2
  exit 1
}

if ! present; then
  command -v apt-get >/dev/null || fail "cannot install ${PACKAGES[*]}: no apt-get (this script expects Debian)"
  if [ "$(id -u)" = 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    fail "$CHROMIUM or $DRIVER is missing and this needs root (or passwordless sudo) to install them:" \
      "run as root: apt-get install ${PACKAGES[*]}"
  fi
  # apt's output goes to a log that is shown only when the install fails.
  LOG=$(mktemp)
  trap 'rm -f "$LOG"' EXIT
  run_apt() {
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get "$@" >>"$LOG" 2>&1
  }
  install_pkgs() { run_apt install -y -qq --no-install-recommends "${PACKAGES[@]}"; }
  refresh() { run_apt update -qq || fail "apt-get update failed"; }
  # The package lists are refreshed only when they are empty or the first try fails.
  if ! compgen -G "/var/lib/apt/lists/*_Packages*" >/dev/null; then
    refresh
    install_pkgs || fail "apt-get install ${PACKAGES[*]} failed"
  elif ! install_pkgs; then
    refresh
    install_pkgs || fail "apt-get install ${PACKAGES[*]} failed (also after apt-get update)"
  fi
  present || fail "${PACKAGES[*]} installed, yet $CHROMIUM or $DRIVER is missing"
fi

version=$("$CHROMIUM" --version 2>/dev/null | head -1) || version=chromium
echo "browser: ${version} at $CHROMIUM, driver at $DRIVER"
