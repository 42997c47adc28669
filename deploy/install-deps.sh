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
# Packages the archive could not serve on the last run, with its error.
UNAVAILABLE=${VIGIL_DEPS_UNAVAILABLE:-/var/lib/vigil-deps/unavailable}
[ -z "$missing" ] && { rm -f "$UNAVAILABLE"; exit 0; }

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
# shellcheck source=deploy/apt-update.sh
. "$(dirname "$0")/apt-update.sh"
# Only packages the archive could not serve last time are missing: one try
# is enough to see whether it serves them now (make test calls this twice).
only_unavailable=1
for p in $missing; do
	awk -F'\t' -v p="$p" '$1 == p { f = 1 } END { exit !f }' "$UNAVAILABLE" 2>/dev/null ||
		only_unavailable=0
done
[ "$only_unavailable" = 1 ] && APT_TRIES=1
apt_update || true
# shellcheck disable=SC2086
if apt-get install -y -qq --no-install-recommends $APT_LOCK $missing >/dev/null; then
	rm -f "$UNAVAILABLE"
	exit 0
fi

# The install failed. When the archive did not serve the i386 package lists
# (a mirror out of step with its Release file), the i386 packages cannot be
# resolved, and nothing this machine does can fix that: install the rest, and
# record each i386 package with the archive's error in $UNAVAILABLE. The tests
# that need one say SKIPPED with that reason (tests/integration/lib.sh), so a
# broken mirror is visible in every run instead of failing every test. Any
# other failure stays a failure.
foreign=$(printf '%s\n' $missing | grep ':i386$' || true)
native=$(printf '%s\n' $missing | grep -v ':i386$' || true)
case $APT_UPDATE_ERRORS in
*i386*) ;;
*) exit 1 ;;
esac
[ -n "$foreign" ] || exit 1
if [ -n "$native" ]; then
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $APT_LOCK $native >/dev/null
fi
mkdir -p "$(dirname "$UNAVAILABLE")"
reason=$(printf '%s\n' "$APT_UPDATE_ERRORS" | grep '^E:' | head -n 1)
for p in $foreign; do
	printf '%s\t%s\t%s\n' "$p" "$(date -u +%Y-%m-%dT%H:%MZ)" "$reason"
done >"$UNAVAILABLE"
echo "install-deps: WARNING: the archive's i386 package lists could not be fetched," >&2
echo "install-deps: so$(printf ' %s' $foreign) could not be installed; the 32-bit Windows" >&2
echo "install-deps: tests will say SKIPPED until a later run installs it. The archive said:" >&2
echo "install-deps:   $reason" >&2
