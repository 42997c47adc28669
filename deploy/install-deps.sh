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
gcc-mingw-w64-x86-64 gcc-mingw-w64-i686 binutils-mingw-w64-x86-64 binutils-mingw-w64-i686
wine wine64 wine32:i386 libwine fonts-wine msitools wixl osslsigncode
gcc binutils make dpkg-dev gpgv xz-utils patch perl autoconf automake libtool m4 tcl gettext
libzip-dev libcairo2-dev libpango1.0-dev libfontconfig-dev libreoffice-writer-nogui poppler-utils
fonts-liberation fonts-liberation2 fonts-dejavu-core fonts-dejavu
dovecot-core dovecot-imapd gammu gammu-smsd chromium chromium-driver python3-selenium"

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
# 32-bit Windows programs run under wine32, an i386 package: apt installs it
# only once dpkg takes i386 packages (multiarch). This also makes apt fetch
# i386 package lists, and upgrades the amd64 libraries wine32 shares to the
# archive's current versions.
case " $missing " in
*":i386 "*)
	if ! dpkg --print-foreign-architectures | grep -qx i386; then
		echo "install-deps: dpkg --add-architecture i386 (for wine32)"
		dpkg --add-architecture i386
	fi
	;;
esac
apt-get update -qq || true
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
