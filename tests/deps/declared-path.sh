#!/bin/sh
# declared-path.sh DIR CMD [ARG...]: run CMD with a PATH that holds only what a
# fresh Debian 12 has (the programs of its required and essential packages,
# which debootstrap's minbase installs) and the programs deploy/programs.txt
# declares. A test, the demo or the bench that runs a program nobody declared
# then fails here as it would on a new machine, instead of passing because the
# developer's machine happens to have it. Each call makes its own directory
# under DIR (under BUILD) and removes it when CMD ends, so that calls running
# at once (make -j2 test) never pull the PATH from under each other.
set -eu
parent=${1:?usage: declared-path.sh DIR CMD [ARG...]}
shift
top=$(cd "$(dirname "$0")/../.." && pwd)
decl="$top/deploy/programs.txt"

mkdir -p "$parent"
# Links an older version of this script left directly in DIR.
find "$parent" -maxdepth 1 ! -type d -exec rm -f {} +
dir=$(mktemp -d "$(cd "$parent" && pwd)/path.XXXXXX")
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
# Not exec: the directory goes when CMD ends, and CMD's status is ours.
PATH=$dir
export PATH
"$@"
