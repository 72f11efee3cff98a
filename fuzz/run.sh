#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds the libFuzzer targets with clang, ASan and UBSan in build-fuzz/ and
# runs each for SECONDS (default 30), starting from a copy of its seed corpus
# (fuzz/corpus/<target>, copied to a temporary directory: the source tree is
# never written). Exits non-zero if any target crashes, leaks, times out or
# reports undefined behaviour; the input that did it is kept in
# $FUZZ_ARTIFACTS (default build-fuzz/fuzz-artifacts/<target>/).
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# Reproduce a finding: build-fuzz/fuzz/<target> <crash-file>
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-30}"
shift || true
build=build-fuzz
targets=(
  fuzz-ws-codec-server fuzz-ws-codec-client
  fuzz-driver-server fuzz-driver-client
  fuzz-hixie
  fuzz-handshake-server fuzz-handshake-client
  fuzz-extensions
  fuzz-sse fuzz-sse-parser
  fuzz-chunked
)
[ $# -gt 0 ] && targets=("$@")

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dintrospection=disabled -Dvapi=disabled -Dfuzzing=true
fi
meson compile -C "$build" "${targets[@]}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
export G_SLICE=always-malloc G_DEBUG=gc-friendly

artifacts="${FUZZ_ARTIFACTS:-$build/fuzz-artifacts}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$work/$t" "$artifacts/$t"
  cp -r "fuzz/corpus/$t/." "$work/$t/"
  dict=()
  case "$t" in
    fuzz-handshake-*|fuzz-extensions|fuzz-driver-client) dict=(-dict=fuzz/http.dict) ;;
  esac
  echo "== $t: ${seconds}s"
  # A fixed seed (FUZZ_SEED, default 1) makes a CI run repeat the
  # exploration that was checked before landing; set FUZZ_SEED=0 for a
  # random one when hunting.
  if ! "$build/fuzz/$t" -seed="${FUZZ_SEED:-1}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
         -print_final_stats=1 -artifact_prefix="$artifacts/$t/" "${dict[@]}" \
         "$work/$t" >"$work/$t.log" 2>&1; then
    status=1
    failed+=("$t")
    tail -n 60 "$work/$t.log"
    echo "== $t FAILED; inputs in $artifacts/$t/"
  else
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$work/$t.log" || true
  fi
done
if [ $status -ne 0 ]; then
  echo "fuzzing: ${#failed[@]} of ${#targets[@]} targets failed: ${failed[*]}"
else
  echo "fuzzing: ${#targets[@]} targets ran ${seconds}s each, no finding"
fi
exit $status
