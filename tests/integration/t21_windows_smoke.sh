# The Windows libraries work under Wine for what the agent will do (issue 13's
# groundwork). deploy/windows/build-deps.sh builds OpenSSL, libevent, SQLite,
# protobuf-c and PCRE2 from Debian's sources with mingw-w64 (for x86_64 and
# i686) into the cache outside the clone: seconds when it is warm, 5 to 10
# minutes on two cores when it is cold. tests/windows/smoke.c, linked
# statically against them, runs under wine64 and 32-bit wine in a private
# prefix: SQLite in WAL mode, a libevent timer, a PCRE2 JIT match, protobuf-c,
# and mutual TLS 1.3 over Winsock to a real collector on 127.0.0.1 (Hello,
# Welcome, Goodbye). Then Linux checks what Windows did: the collector
# recorded each machine with the os it sent and off ("stopped") after its
# Goodbye, and sqlite3 reads the spool file Windows SQLite wrote.
. "$(dirname "$0")/lib.sh"

need x86_64-w64-mingw32-gcc i686-w64-mingw32-gcc /usr/lib/wine/wine64 \
	wineserver protoc-c pkg-config sqlite3
CACHE=${VIGIL_WINDOWS_CACHE:-/var/cache/vigil-windows}
win_arches
ARCHES=$WIN_ARCHES

wine_prefix

# --- the libraries: built only when the cache is cold or stale
t0=$(date +%s)
[ -f "$CACHE/x86_64/stamps/pcre2" ] ||
	echo "  WINDOWS building the Windows libraries into $CACHE (cold: 5 to 10 minutes on 2 cores)"
# shellcheck disable=SC2086 # one architecture a word
if ! sh "$TOP/deploy/windows/build-deps.sh" $ARCHES >"$T/build-deps.log" 2>&1; then
	tail -n 40 "$T/build-deps.log" >&2
	fail "deploy/windows/build-deps.sh failed (above)"
fi
built=$(grep -c ' built in ' "$T/build-deps.log" || true)
echo "  WINDOWS libraries in $CACHE: $built built, in $(($(date +%s) - t0))s"
grep -E ' built in |WARNING' "$T/build-deps.log" | sed 's/^ */          /' || true

# --- smoke.exe for each architecture, against the cache only
mkdir -p "$T/gen"
protoc-c --proto_path="$TOP/proto" --c_out="$T/gen" "$TOP/proto/vigil.proto" ||
	fail "protoc-c failed"
for arch in $ARCHES; do
	pc="$CACHE/$arch/lib/pkgconfig"
	# The cache's .pc files alone (PKG_CONFIG_LIBDIR), never the host's.
	flags=$(PKG_CONFIG_LIBDIR=$pc pkg-config --static --cflags --libs vigil-windows \
		libevent_openssl libevent_core openssl sqlite3 libpcre2-8 libprotobuf-c) ||
		fail "pkg-config finds not every library in $pc"
	# shellcheck disable=SC2086
	"$arch-w64-mingw32-gcc" -std=c11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter \
		-I"$T/gen" -o "$T/smoke-$arch.exe" "$TOP/tests/windows/smoke.c" "$T/gen/vigil.pb-c.c" \
		-static $flags >"$T/cc-$arch.log" 2>&1 || {
		cat "$T/cc-$arch.log" >&2
		fail "smoke.c does not build for $arch"
	}
done

# --- a real collector, agent certificates as vigilctl pki issue makes them
pki_setup win-x86-64 win-i686
write_collector_conf 0
start_collector

# wine_run ARCH: run smoke.exe of ARCH under its Wine loader; its output in
# $T/smoke-ARCH.out. timeout bounds a Wine that hangs (the program's own
# deadline is 30 s).
wine_run() {
	case $1 in
	x86_64) _loader=/usr/lib/wine/wine64 _id=win-x86-64 ;;
	i686) _loader=/usr/lib/wine/wine _id=win-i686 ;;
	esac
	mkdir -p "$T/win-$1"
	_t=$(date +%s)
	timeout 120 "$_loader" "$T/smoke-$1.exe" "Z:$T/win-$1" 127.0.0.1 "$PORT" "Z:$T/pki/ca.crt" \
		"Z:$T/pki/agents/$_id.crt" "Z:$T/pki/agents/$_id.key" >"$T/smoke-$1.out" 2>"$T/wine-$1.log"
	_rc=$?
	sed 's/^/          /' "$T/smoke-$1.out"
	if [ "$_rc" -ne 0 ] || ! grep -q '^smoke: all checks passed' "$T/smoke-$1.out"; then
		fail "smoke.exe ($1) under $_loader exited $_rc"
	fi
	echo "          ($1 under ${_loader##*/}: $(($(date +%s) - _t))s)"
}
# The first run also makes the prefix (wineboot), a few seconds.
set +e
for arch in $ARCHES; do wine_run "$arch"; done
set -e

# --- what Linux sees of it
for arch in $ARCHES; do
	id=win-$(echo "$arch" | tr _ -)
	[ "$(db "SELECT os FROM agents WHERE agent = '$id'")" = "Windows $arch (smoke test)" ] ||
		fail "the collector did not record $id with the os its Hello sent"
	wait_for 10 "$id recorded off after its Goodbye" sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' \
		'$T/vigil.db' \"SELECT off_reason FROM agents WHERE agent = '$id' AND off_us > 0\")\" = stopped ]"
	spool="$T/win-$arch/spool.db"
	[ "$(sqlite3 "$spool" 'PRAGMA integrity_check; PRAGMA journal_mode;
		SELECT count(*), max(CAST(body AS TEXT)) FROM spool WHERE seq = 3;')" = "ok
wal
1|Tối mật" ] || fail "Linux sqlite3 does not read the spool Windows SQLite ($arch) wrote"
done
pass "$(echo "$ARCHES" | sed 's/ / and /') under Wine: SQLite WAL, libevent, PCRE2 JIT, protobuf-c, mutual TLS 1.3 with the collector"
