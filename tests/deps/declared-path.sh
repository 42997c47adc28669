#!/bin/sh
# declared-path.sh DIR: (re)build DIR, a directory of links to what a fresh
# Debian 12 has (the programs of its required and essential packages, which
# debootstrap's minbase installs) and to the programs deploy/programs.txt
# declares.
# declared-path.sh DIR CMD [ARG...]: run CMD with DIR alone on PATH.
# A test, the demo or the bench that runs a program nobody declared then fails
# here as it would on a new machine, instead of passing because the developer's
# machine happens to have it.
# The Makefile builds DIR once (its stamp, $(BUILD)/declared-bin.stamp) before
# any target runs a command in it, so that targets running at once (make -j2
# test) share it and never rebuild it under each other. A rebuild is atomic:
# the links go into a new directory beside DIR, and DIR, a symbolic link, is
# renamed onto it; a command running meanwhile finds its programs in the old
# directory or the new one, never in none.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
decl="$top/deploy/programs.txt"
link=${1:?usage: declared-path.sh DIR [CMD [ARG...]]}
shift

if [ $# -gt 0 ]; then
	[ -d "$link" ] || {
		echo "declared-path: $link is not built: make builds it (make $link.stamp)" >&2
		exit 1
	}
	PATH=$(cd "$link" && pwd -L)
	export PATH
	exec "$@"
fi

parent=$(mkdir -p "$(dirname "$link")" && cd "$(dirname "$link")" && pwd)
name=$(basename "$link")
dir=$(mktemp -d "$parent/$name.XXXXXX")
trap 'rm -rf "$dir"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# The base system: every program of a required or essential package.
dpkg-query -W -f='${Package}\t${Priority}\t${Essential}\n' |
	awk -F'\t' '$2 == "required" || $3 == "yes" { print $1 }' |
	xargs dpkg -L 2>/dev/null | grep -E '^(/usr)?/s?bin/[^/]+$' | sort -u |
	while read -r p; do
		[ -x "$p" ] && [ ! -d "$p" ] && ln -sf "$p" "$dir/${p##*/}"
	done
# Names the alternatives system gives to those programs (awk is mawk).
find /usr/bin /usr/sbin -maxdepth 1 -lname '/etc/alternatives/*' | while read -r l; do
	t=$(readlink -f "$l")
	[ -e "$dir/${t##*/}" ] && [ "$(readlink -f "$dir/${t##*/}")" = "$t" ] && ln -sf "$t" "$dir/${l##*/}"
done
# The declared programs (absolute paths are run as they are: nothing to link).
sed -e 's/#.*//' "$decl" | while read -r prog pkg; do
	case $prog in
	"" | /* | python3:*) continue ;;
	esac
	# Debian's programs, not a user's (pyenv's python3, /usr/local).
	p=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$prog" 2>/dev/null) || {
		echo "declared-path: $prog (package $pkg) is not installed; run deploy/install-deps.sh as root" >&2
		exit 1
	}
	ln -sf "$p" "$dir/$prog"
done
# The toolchain make test builds with is not a program the tests run.
chmod 755 "$dir"
# An older version of this script made DIR a plain directory: it goes first.
prev=""
if [ -L "$parent/$name" ]; then
	prev=$(readlink "$parent/$name")
else
	rm -rf "$parent/$name"
fi
ln -s "${dir##*/}" "$parent/$name.link.$$"
mv -T "$parent/$name.link.$$" "$parent/$name"
trap - EXIT
# The previous build's directory: PATH names the link, not it.
case $prev in
"" | */*) ;;
*) rm -rf "${parent:?}/$prev" ;;
esac
