#!/usr/bin/env bash
# check-deps-lock.sh — SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-deps-lock.sh SRCDIR: tools/deps.sh waits while another apt or dpkg
# runs, then calls apt-get with a lock timeout, instead of failing at once.
# Fake pgrep, dpkg-query, apt-get, sudo and id in front of PATH: pgrep
# reports a busy package manager for its first two calls; apt-get records
# its arguments. Bounded by FWS_APT_LOCK_TIMEOUT=20.
set -euo pipefail
src="$1"
fake="$(mktemp -d)"
trap 'rm -rf "$fake"' EXIT

cat >"$fake/pgrep" <<'SH'
#!/bin/sh
n=$(cat "$FAKE/pgrep-calls" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" >"$FAKE/pgrep-calls"
[ "$n" -le 2 ]
SH
cat >"$fake/dpkg-query" <<'SH'
#!/bin/sh
exit 1
SH
cat >"$fake/apt-get" <<'SH'
#!/bin/sh
n=$(cat "$FAKE/pgrep-calls")
echo "after $n pgrep: $*" >>"$FAKE/apt-get.log"
SH
cat >"$fake/sudo" <<'SH'
#!/bin/sh
exec "$@"
SH
cat >"$fake/id" <<'SH'
#!/bin/sh
echo 1000
SH
chmod +x "$fake"/*

export FAKE="$fake" FWS_APT_LOCK_TIMEOUT=20
start=$SECONDS
PATH="$fake:$PATH" bash -c 'source "$1/tools/deps.sh"; fws_install_missing somepackage' _ "$src" >"$fake/out"
elapsed=$((SECONDS - start))

fail () { echo "not ok - $*"; cat "$fake/out" "$fake/apt-get.log" 2>/dev/null; exit 1; }
grep -q '^Waiting for the package manager' "$fake/out" || fail "no waiting message"
[ "$(sed -n 1p "$fake/apt-get.log")" = "after 3 pgrep: -o DPkg::Lock::Timeout=16 update -q" ] ||
  fail "apt-get update ran before the other apt ended, or without a lock timeout"
sed -n 2p "$fake/apt-get.log" | grep -q -- '-o DPkg::Lock::Timeout=20 install -y -q --no-install-recommends somepackage$' ||
  fail "apt-get install without a lock timeout"
[ "$elapsed" -lt 15 ] || fail "waited $elapsed s"
echo "ok - tools/deps.sh waited for the other apt, then ran apt-get with DPkg::Lock::Timeout"
