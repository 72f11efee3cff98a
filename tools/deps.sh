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
  libhiredis-dev redis-server nginx xvfb gir1.2-gtk-4.0
)
# A nodejs from another repository (NodeSource) ships its own npm and
# conflicts with Debian's npm package: ask for that only when npm is absent.
command -v npm >/dev/null 2>&1 || FWS_TEST_PACKAGES+=(npm)

# A freshly booted Debian machine often runs apt in the background
# (unattended-upgrades, apt-daily): wait for it, at most
# FWS_APT_LOCK_TIMEOUT seconds (default 600), instead of failing at once.
fws_apt_busy () {
  command -v pgrep >/dev/null 2>&1 || return 1
  pgrep -x 'apt|apt-get|aptitude|dpkg|unattended-upgr|unattended-upgrade' >/dev/null 2>&1
}

fws_apt_get () {
  local timeout="${FWS_APT_LOCK_TIMEOUT:-600}"
  local waited=0
  while fws_apt_busy && [ "$waited" -lt "$timeout" ]; do
    [ "$waited" -eq 0 ] && echo "Waiting for the package manager (another apt or dpkg is running)..."
    sleep 2
    waited=$((waited + 2))
  done
  # apt itself waits for its lock too, for whatever time is left.
  local left=$((timeout - waited))
  [ "$left" -gt 0 ] || left=1
  ${FWS_SUDO:-} apt-get -o "DPkg::Lock::Timeout=$left" "$@"
}

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
    FWS_SUDO=""
    [ "$(id -u)" -ne 0 ] && FWS_SUDO="sudo"
    fws_apt_get update -q
    DEBIAN_FRONTEND=noninteractive fws_apt_get install -y -q --no-install-recommends "${missing[@]}"
  fi
}
