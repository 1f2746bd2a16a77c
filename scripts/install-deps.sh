#!/bin/sh
# Install the Debian packages softsgx needs to build, test, fuzz and demo, if any is missing.
# Idempotent and quiet when everything is present; needs root (or sudo) otherwise.
set -eu

PACKAGES="gcc make meson ninja-build pkg-config python3 openssl
libssl-dev libsepol-dev libselinux1-dev libcmocka-dev
secilc checkpolicy policycoreutils-python-utils selinux-utils
clang libclang-rt-dev binutils
qemu-system-x86 busybox-static cpio"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
