#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs, with apt-get, the Debian 12 packages fws-glib needs to build and
# test that are not installed yet. Sourced by tools/demo and tools/test.
set -euo pipefail

FWS_BUILD_PACKAGES=(
  gcc pkg-config meson ninja-build gettext
  libglib2.0-dev libsoup-3.0-dev zlib1g-dev glib-networking
  gobject-introspection libgirepository1.0-dev gir1.2-soup-3.0 valac
)
FWS_TEST_PACKAGES=(
  python3 python3-gi python3-websockets nodejs node-ws gjs
  gnutls-bin openssl tinyproxy chromium chromium-driver python3-selenium
  valgrind clang libclang-rt-14-dev gi-docgen
)
# A nodejs from another repository (NodeSource) ships its own npm and
# conflicts with Debian's npm package: ask for that only when npm is absent.
command -v npm >/dev/null 2>&1 || FWS_TEST_PACKAGES+=(npm)

fws_install_missing () {
  local missing=()
  local pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}
