#!/usr/bin/env bash
# check-installed-i18n.sh — SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-installed-i18n.sh SRCDIR: fws-glib configured for a temporary
# prefix (not /usr) and installed there finds its German translation, and
# the first error a program gets after start-up is already German. Builds
# only the library and the .mo files (no introspection, no tests), then a
# small program (i18n-first-error.c) through the installed pkg-config file,
# and runs it with LANGUAGE=de and no FWS_LOCALEDIR.
set -euo pipefail
src="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"

log () { "$@" >>"$tmp/log" 2>&1 || { cat "$tmp/log"; echo "not ok - $*"; exit 1; }; }

log meson setup "$tmp/build" "$src" --prefix="$prefix" --libdir=lib -Dbuildtype=plain \
  -Dintrospection=disabled -Dvapi=disabled -Ddocs=false -Dtests=false
log meson compile -C "$tmp/build" fws-glib-1.0 fws-glib-1.0-gmo
log meson install -C "$tmp/build" --no-rebuild --tags runtime,devel,i18n
[ -f "$prefix/share/locale/de/LC_MESSAGES/fws-glib-1.0.mo" ] || { echo "not ok - no .mo installed"; exit 1; }

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# shellcheck disable=SC2046
log ${CC:-cc} -o "$tmp/first-error" "$src/tests/i18n-first-error.c" \
  $(pkg-config --cflags --libs fws-glib-1.0) -Wl,-rpath,"$prefix/lib"

out="$(env -u FWS_LOCALEDIR LC_ALL=C.UTF-8 LANGUAGE=de "$tmp/first-error")"
first="$(printf '%s\n' "$out" | sed -n 1p)"
later="$(printf '%s\n' "$out" | sed -n 2p)"
if [ "$first" != "http://127.0.0.1/ ist keine gültige WebSocket-URL" ] ||
   [ "${later#Der Schließcode muss }" = "$later" ]; then
  printf 'not ok - got:\n%s\nwant the first error German, and the later one\n' "$out"
  exit 1
fi
echo "ok - installed under $prefix, the first error after start-up is German"
