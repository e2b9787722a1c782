#!/bin/sh
# SPDX-License-Identifier: MIT
# install-deps.sh: install the Debian packages pvisor needs, only if missing.
#
# A machine that already has everything does no apt work at all. Otherwise
# it runs `apt-get update` once and installs the missing packages, as root
# directly or through sudo; without either it names the packages and fails.
set -eu

PKGS="gcc make pkg-config protobuf-c-compiler libprotobuf-c-dev \
libcunit1-dev liburing-dev libseccomp-dev libxen-dev iproute2 iputils-ping \
clang-format clang libclang-rt-dev grub-xen-host e2fsprogs \
binutils"

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install-deps: no dpkg-query (not Debian?); install these yourself: $PKGS" >&2
    exit 1
fi

missing=""
for p in $PKGS; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
    *" installed") ;;
    *) missing="$missing $p" ;;
    esac
done
missing=${missing# }

if [ -z "$missing" ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
elif command -v sudo >/dev/null 2>&1 && [ -t 0 ]; then
    SUDO="sudo"
else
    echo "install-deps: missing Debian packages (need root or sudo to install): $missing" >&2
    exit 1
fi

echo "install-deps: installing $missing"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# shellcheck disable=SC2086 # $SUDO and $missing are word lists on purpose
if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -qq update >"$log" 2>&1 ||
    ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -qq install -y \
        --no-install-recommends $missing >>"$log" 2>&1; then
    tail -n 20 "$log" >&2
    echo "install-deps: apt-get failed installing: $missing" >&2
    exit 1
fi
