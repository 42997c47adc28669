#!/bin/sh
# check-portable.sh BUILD [--self-test]: the agent's portable core compiles
# for Windows, with no POSIX or Linux header and no function Windows lacks.
#
# The core is every source directly under agent/ and common/ that
# vigil-agent links (read from BUILD/vigil-agent.map, so that a file the
# agent does not link, such as the CA tooling, is not held to it); the
# platform's files are under agent/linux/ and common/linux/. Each core file is
# compiled by the real mingw-w64 compiler, with _WIN32 defined as it is for a
# Windows build:
#
#   1. every header a core file or core header includes must be an ISO C
#      header, a header of libvigil or of the core, the generated protocol
#      header, or a header of the libraries the agent links (libevent,
#      OpenSSL, SQLite, PCRE2, protobuf-c); a header Windows does not have
#      (<arpa/inet.h>, <sys/inotify.h>) stops the preprocessor, and one it
#      happens to have (<unistd.h>, <dirent.h>) is refused by name;
#   2. the file compiles (-fsyntax-only) with implicit declarations as
#      errors: a POSIX or GNU function (memmem, getline, scandir, gmtime_r)
#      has no declaration there.
#
# The libraries' headers are the Windows build's own when its cache is there
# (deploy/windows/build-deps.sh: $VIGIL_WINDOWS_CACHE/x86_64/include, by
# default /var/cache/vigil-windows); otherwise Debian's portable headers of
# OpenSSL, SQLite, PCRE2 and protobuf-c, with libevent's under a
# configuration header for Windows that this script writes (libevent's own is
# the Linux build's).
#
# --self-test plants violations in a scratch file and fails unless each is
# caught: a check that cannot fail checks nothing.
set -u
BUILD=${1:?usage: check-portable.sh BUILD [--self-test]}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "$BUILD" && pwd)
CC=${MINGW_CC:-x86_64-w64-mingw32-gcc}
CACHE=${VIGIL_WINDOWS_CACHE:-/var/cache/vigil-windows}/x86_64
T=$(mktemp -d "${TMPDIR:-/tmp}/vigil-check-portable.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
cd "$TOP" || exit 1

fail() {
	echo "FAIL check-portable: $*" >&2
}

# The ISO C headers (C11): the only system headers a core file may include.
ISO_C=" assert.h complex.h ctype.h errno.h fenv.h float.h inttypes.h iso646.h limits.h"
ISO_C="$ISO_C locale.h math.h setjmp.h signal.h stdalign.h stdarg.h stdatomic.h stdbool.h"
ISO_C="$ISO_C stddef.h stdint.h stdio.h stdlib.h stdnoreturn.h string.h tgmath.h threads.h"
ISO_C="$ISO_C time.h uchar.h wchar.h wctype.h "

# ---- the libraries' headers, as a Windows build sees them
if [ -f "$CACHE/include/event2/event-config.h" ] && [ -f "$CACHE/include/openssl/ssl.h" ] &&
	[ -f "$CACHE/include/sqlite3.h" ] && [ -f "$CACHE/include/pcre2.h" ] &&
	[ -f "$CACHE/include/protobuf-c/protobuf-c.h" ]; then
	INC=$CACHE/include
	FROM="the Windows build's cache ($INC)"
else
	INC=$T/inc
	FROM="Debian's portable headers and libevent's under a Windows configuration"
	mkdir -p "$INC/event2" "$INC/openssl"
	for h in /usr/include/event2/*.h; do
		[ "${h##*/}" = event-config.h ] || ln -s "$h" "$INC/event2/"
	done
	for h in /usr/include/openssl/*.h /usr/include/*-linux-gnu/openssl/*.h; do
		[ -e "$INC/openssl/${h##*/}" ] || ln -s "$h" "$INC/openssl/"
	done
	ln -s /usr/include/sqlite3.h /usr/include/pcre2.h /usr/include/protobuf-c "$INC/"
	# What libevent 2.1's configure finds for mingw-w64 (x86_64), as far as
	# its public headers ask: the C99 headers, the type sizes, OpenSSL.
	cat >"$INC/event2/event-config.h" <<'EOF'
#ifndef EVENT2_EVENT_CONFIG_H_INCLUDED_
#define EVENT2_EVENT_CONFIG_H_INCLUDED_
#define EVENT__HAVE_STDINT_H 1
#define EVENT__HAVE_INTTYPES_H 1
#define EVENT__HAVE_STDDEF_H 1
#define EVENT__HAVE_STDARG_H 1
#define EVENT__HAVE_SYS_TYPES_H 1
#define EVENT__HAVE_SYS_TIME_H 1
#define EVENT__HAVE_OPENSSL 1
#define EVENT__SIZEOF_INT 4
#define EVENT__SIZEOF_LONG 4
#define EVENT__SIZEOF_LONG_LONG 8
#define EVENT__SIZEOF_SHORT 2
#define EVENT__SIZEOF_SIZE_T 8
#define EVENT__SIZEOF_VOID_P 8
#define EVENT__SIZEOF_OFF_T 4
#define EVENT__SIZEOF_TIME_T 8
#define EVENT__VERSION "2.1.12-stable"
#define EVENT__NUMERIC_VERSION 0x02010c00
#endif
EOF
fi

FLAGS="-std=c11 -D_WIN32_WINNT=0x0601 -Iinclude -I$BUILD/gen -I$INC"

# check_file FILE: 0 when FILE is portable core code; else says why.
check_file() {
	f=$1
	if ! "$CC" $FLAGS -E "$f" >"$T/pp" 2>"$T/pp.err"; then
		sed -n 's/^\(.*error: .*\)$/    \1/p' "$T/pp.err" >&2
		fail "$f includes a header Windows does not have (platform code goes in agent/linux/ or common/linux/)"
		return 1
	fi
	# What each of our files includes: the directives themselves (-dI), in
	# the file the line markers say they are in ("# N "file" 1": entering it).
	"$CC" $FLAGS -E -dI "$f" >"$T/pp" 2>/dev/null
	if ! awk -v top="$TOP" -v build="$BUILD" -v iso="$ISO_C" -v file="$f" -v more="$T/planted" '
		function ours(p) {
			return p !~ /^\// || index(p, top "/") == 1 || index(p, build "/") == 1 ||
			    index(p, more "/") == 1
		}
		function norm(p) { if (index(p, top "/") == 1) p = substr(p, length(top) + 2); return p }
		function library(h) {
			return h ~ /^(event2|openssl|protobuf-c)\// || h == "sqlite3.h" || h == "pcre2.h" ||
			    h ~ /^vigil\// || h == "vigil.pb-c.h"
		}
		BEGIN { sp = 1; stack[1] = file; bad = 0 }
		/^# [0-9]+ "/ {
			p = $3; gsub(/"/, "", p)
			if (p ~ /^</) next
			if ($4 == 1) stack[++sp] = p
			else if ($4 == 2) while (sp > 1 && stack[sp] != p) sp--
			next
		}
		/^#include / {
			by = stack[sp]
			if (!ours(by) || norm(by) ~ /(^|\/)linux\//) next
			h = $2
			if (h ~ /^</) {
				h = substr(h, 2, length(h) - 2)
				if (!library(h) && index(iso, " " h " ") == 0) {
					printf "    %s includes <%s>, which is not an ISO C header\n", norm(by), h > "/dev/stderr"
					bad = 1
				}
			} else if (h ~ /(^"|\/)linux\//) {
				printf "    %s includes %s, which is platform code\n", norm(by), h > "/dev/stderr"
				bad = 1
			}
		}
		END { exit bad }' "$T/pp"; then
		fail "$f includes what only POSIX or Linux has (platform code goes in agent/linux/ or common/linux/)"
		return 1
	fi
	if ! "$CC" $FLAGS -fsyntax-only -Werror=implicit-function-declaration -Werror=implicit-int \
		-Wno-attributes "$f" 2>"$T/cc.err"; then
		grep -E 'error' "$T/cc.err" | sed 's/^/    /' >&2
		fail "$f does not compile for Windows"
		return 1
	fi
	return 0
}

# The core: what vigil-agent links from libagent.a and libvigil.a, found in
# agent/ and common/ themselves (a member from agent/linux/ is the platform's).
core_files() {
	map=$BUILD/vigil-agent.map
	[ -f "$map" ] || { fail "$map is missing: build vigil-agent first"; return 1; }
	sed -n 's#^[^ ]*lib\(agent\|vigil\)\.a(\([A-Za-z0-9_.-]*\)\.o).*#\1 \2#p' "$map" | sort -u |
		while read -r lib name; do
			case $lib in agent) dir=agent ;; *) dir=common ;; esac
			[ -f "$dir/$name.c" ] && echo "$dir/$name.c"
		done
}

if [ "${2:-}" = --self-test ]; then
	rc=0
	mkdir -p "$T/planted"
	plant() {
		{ echo '#include "vigil/err.h"'; printf '%s\n' "$@"; } >"$T/planted/core.c"
		if check_file "$T/planted/core.c" 2>"$T/planted/why"; then
			echo "FAIL check-portable --self-test: a planted violation passed: $*" >&2
			rc=1
		fi
	}
	plant '#include <arpa/inet.h>'
	plant '#include <sys/inotify.h>'
	plant '#include <unistd.h>'
	plant '#include "../../agent/linux/tail.h"'
	plant 'int f(void);' 'int f(void) { return (int)getline(0, 0, 0); }'
	# And an honest file passes.
	{ echo '#include <stdio.h>'; echo '#include "vigil/err.h"'; echo 'int f(void);'
		echo 'int f(void) { return puts(vigil_strerror(0)); }'; } >"$T/planted/core.c"
	check_file "$T/planted/core.c" || { echo "FAIL check-portable --self-test: a portable file was refused" >&2; rc=1; }
	[ $rc = 0 ] && echo "  PORTABLE self-test: 5 planted violations caught, a portable file passed"
	exit $rc
fi

files=$(core_files) || exit 1
[ -n "$files" ] || { fail "no core file found in $BUILD/vigil-agent.map"; exit 1; }
rc=0
n=0
for f in $files; do
	n=$((n + 1))
	check_file "$f" || rc=1
done
[ $rc = 0 ] && echo "  PORTABLE $n core files of the agent compile for Windows ($("$CC" -dumpversion) $CC; headers: $FROM)"
exit $rc
