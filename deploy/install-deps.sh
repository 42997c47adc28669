#!/bin/sh
# Install the Debian packages Vigil's build, tests, demo and benchmarks need.
# Idempotent: when every package is present it only asks dpkg, which is quick.
set -eu

# The one list. Programs that tests, the demo and the bench run are declared,
# each with its package, in deploy/programs.txt; make test fails when one of
# those packages is missing here (tests/deps/check-deps.sh).
PKGS="build-essential pkg-config libevent-dev libprotobuf-c-dev protobuf-c-compiler
libsqlite3-dev libssl-dev libcmocka-dev libpcre2-dev libsystemd-dev libcurl4-openssl-dev
sqlite3 openssl logrotate procps iproute2 util-linux python3 systemd
systemd-journal-remote clamav clamav-daemon clamdscan python3-aiosmtpd
dbus-daemon dbus-bin python3-dbus python3-gi
qemu-system-x86 qemu-system-data linux-image-amd64 busybox-static cpio kmod
gettext gcc-mingw-w64-x86-64"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: run as root (or: sudo apt-get install$missing)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || true
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
