#!/bin/sh
# check-deps.sh [--self-test]: deploy/programs.txt against deploy/install-deps.sh.
#
#   - every declared program's package is in install-deps' PKGS list;
#   - a program is declared once;
#   - every declared program is installed (install-deps has run);
#   - every program a script or a test names by absolute path is either the
#     base system's (a required or essential package) or declared.
#
# Programs found through PATH are checked where they run: tests, the demo and
# the bench see only the base system and the declared programs
# (declared-path.sh). --self-test plants a missing package in a copy of
# install-deps and checks that this script then fails, naming it.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
# Written by install-deps.sh: packages the archive could not serve, with why.
UNAVAILABLE=${VIGIL_DEPS_UNAVAILABLE:-/var/lib/vigil-deps/unavailable}

# owner PATH: the package that ships PATH (dpkg knows /bin/x, /usr/bin/x or
# the target of a link, whichever was packaged), or nothing.
owner() {
	for _p in "$1" "$(readlink -f "$1" 2>/dev/null)" "/usr$1" "${1#/usr}"; do
		[ -n "$_p" ] || continue
		_o=$(dpkg -S "$_p" 2>/dev/null | grep -v '^diversion' | sed 's/:.*//' | head -n 1)
		[ -n "$_o" ] && { echo "$_o"; return; }
	done
}

# check INSTALL_DEPS PROGRAMS: prints every problem, returns 1 if any.
check() {
	_deps=$1 _decl=$2 _bad=0
	_pkgs=$(sed -n '/^PKGS="/,/"/p' "$_deps" | tr -d '"' | sed 's/^PKGS=//' | tr -s ' \t' '\n\n')
	_seen=" "
	_n=0
	while IFS= read -r _line || [ -n "$_line" ]; do
		_n=$((_n + 1))
		_line=${_line%%#*}
		set -f
		# shellcheck disable=SC2086
		set -- $_line
		set +f
		[ $# -eq 0 ] && continue
		_prog=$1 _pkg=${2:-}
		_where="deploy/programs.txt:$_n"
		if [ -z "$_pkg" ]; then
			echo "$_where: $_prog names no package." >&2
			_bad=1
			continue
		fi
		case $_seen in
		*" $_prog "*)
			echo "$_where: $_prog is declared a second time; declare each program once." >&2
			_bad=1
			;;
		esac
		_seen="$_seen$_prog "
		if ! printf '%s\n' "$_pkgs" | grep -qx -- "$_pkg"; then
			echo "$_where: $_prog needs the package $_pkg, which deploy/install-deps.sh does not install: add $_pkg to its PKGS." >&2
			_bad=1
			continue
		fi
		case $_prog in
		python3:*) /usr/bin/python3 -c "import ${_prog#python3:}" 2>/dev/null ;;
		/*) [ -e "$_prog" ] ;;
		*) PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$_prog" >/dev/null 2>&1 ;;
		esac && continue
		# install-deps records a package the archive could not serve.
		_why=$(awk -F'\t' -v p="$_pkg" '$1 == p { print $3 }' "$UNAVAILABLE" 2>/dev/null)
		if [ -n "$_why" ]; then
			echo "$_where: warning: $_prog (package $_pkg) is not installed: the archive could not serve it ($_why); the tests that need it say SKIPPED." >&2
		else
			echo "$_where: $_prog (package $_pkg) is not installed: run deploy/install-deps.sh as root." >&2
			_bad=1
		fi
	done <"$_decl"

	# Programs run by absolute path: in scripts, and as a quoted path in C tests.
	_abs=$( {
		cd "$top"
		grep -noE '(^|[^A-Za-z0-9_./=-])(/usr)?/s?bin/[A-Za-z0-9._+-]+|/(usr/)?lib/systemd/[A-Za-z0-9._+-]+' \
			$(find tests deploy -name '*.sh' ! -path 'tests/deps/*') /dev/null
		grep -noE '"((/usr)?/s?bin|/(usr/)?lib/systemd)/[A-Za-z0-9._+-]+"' \
			$(find tests -name '*.c') /dev/null
	} | sed -E 's/:[0-9]+:[^/]*/ /; s/"$//' | sort -u -k2,2)
	_base=$(dpkg-query -W -f='${Package}\t${Priority}\t${Essential}\n' |
		awk -F'\t' '$2 == "required" || $3 == "yes" { print $1 }')
	printf '%s\n' "$_abs" | while read -r _file _path; do
		[ -n "$_path" ] || continue
		case $_seen in *" $_path "*) continue ;; esac
		# A path that is not here is a string in test data, not a program a test runs
		# (one that did would fail on this machine first).
		[ -e "$_path" ] || continue
		_owner=$(owner "$_path")
		if [ -n "$_owner" ] && printf '%s\n' "$_base" | grep -qx -- "$_owner"; then
			continue
		fi
		echo "$_file: runs $_path${_owner:+ (package $_owner)}, which deploy/programs.txt does not declare." >&2
		exit 1
	done || _bad=1
	return "$_bad"
}

if [ "${1:-}" = --self-test ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	# Take the package of the first declared program out of a copy of install-deps.
	set -- $(sed -e 's/#.*//' "$top/deploy/programs.txt" | awk 'NF >= 2 { print $1, $2; exit }')
	sed "/^PKGS=\"/,/\"/s/\\(^\\|[ \"]\\)$2\\([ \"]\\|\$\\)/\\1\\2/" "$top/deploy/install-deps.sh" >"$tmp/install-deps.sh"
	cmp -s "$tmp/install-deps.sh" "$top/deploy/install-deps.sh" && {
		echo "check-deps --self-test: could not plant a missing $2" >&2
		exit 1
	}
	if check "$tmp/install-deps.sh" "$top/deploy/programs.txt" 2>"$tmp/err"; then
		echo "check-deps --self-test: install-deps without $2 passed" >&2
		exit 1
	fi
	grep -q "$1 needs the package $2, which deploy/install-deps.sh does not install" "$tmp/err" || {
		echo "check-deps --self-test: the message does not name $1 and $2:" >&2
		cat "$tmp/err" >&2
		exit 1
	}
	echo "  DEPS    a package missing from install-deps is caught ($1 / $2)"
	exit 0
fi

check "$top/deploy/install-deps.sh" "$top/deploy/programs.txt" || {
	echo "check-deps: deploy/programs.txt and deploy/install-deps.sh disagree (see above)." >&2
	exit 1
}
echo "  DEPS    $(sed -e 's/#.*//' "$top/deploy/programs.txt" | awk 'NF' | wc -l) declared programs, each installed by install-deps"
