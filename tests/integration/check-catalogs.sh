#!/bin/sh
# check-catalogs.sh BUILD [--self-test]: text for people has its Vietnamese.
#
#   1. Every sentence the sources mark for translation (vigil/i18n.h: _(),
#      N_(), i18n_text_in()...; xgettext with po/xgettext.args) has an entry
#      in po/vi.po and in po/en.po, translated and not fuzzy (msgcmp).
#   2. Every shipped rule and threshold with a summary (deploy/rules.d) has
#      its summary_vi: what a Vietnamese notification quotes.
#
# The build's msgfmt --check holds each translation's format directives to
# the English sentence's. --self-test plants a sentence no catalog has, and a
# rule without summary_vi, and fails unless both are caught.
set -u
BUILD=${1:?usage: check-catalogs.sh BUILD [--self-test]}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/vigil-check-catalogs.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
cd "$TOP" || exit 1

fail() {
	echo "FAIL check-catalogs: $*" >&2
}

# catalogs SOURCE...: every marked sentence of SOURCE in each catalog.
catalogs() {
	# shellcheck disable=SC2046 # the arguments file holds several words
	xgettext $(cat po/xgettext.args) -o "$T/vigil.pot" "$@" || { fail "xgettext failed"; return 1; }
	_rc=0
	for _po in po/vi.po po/en.po; do
		if ! msgcmp "$_po" "$T/vigil.pot" 2>"$T/msgcmp"; then
			# Each as its place in the sources and its words, not a line of a scratch file.
			sed -n 's/^[^:]*vigil\.pot:\([0-9]*\): \(.*\)$/\1 \2/p' "$T/msgcmp" |
				while read -r _line _why; do
					awk -v n="$_line" -v why="$_why" '
						NR == n { printf "    %s: %s: %s\n", where, why, id; exit }
						/^#: / { where = substr($0, 4) }
						/^msgid / { id = substr($0, 7); inid = 1; next }
						/^"/ && inid { id = id $0; next }
						{ inid = 0 }' "$T/vigil.pot"
				done >&2
			grep -v 'vigil\.pot:[0-9]*:\|^msgcmp: found' "$T/msgcmp" | sed 's/^/    /' >&2
			fail "$_po lacks the sentences above (make po-update, then translate them)"
			_rc=1
		fi
	done
	return $_rc
}

# summaries FILE...: each [rule]/[threshold] with a summary has a summary_vi.
summaries() {
	awk '
		function done_section() {
			if (id != "" && has && !vi) {
				printf "    %s:%d: %s has a summary but no summary_vi\n", file, line, id > "/dev/stderr"
				bad = 1
			}
		}
		FNR == 1 { done_section(); id = ""; file = FILENAME }
		/^[ \t]*\[(rule|threshold)[ \t]/ { done_section(); id = $0; gsub(/^[ \t]*\[|\][ \t]*$/, "", id); line = FNR; has = vi = 0; next }
		/^[ \t]*summary[ \t]*=/ { has = 1 }
		/^[ \t]*summary_vi[ \t]*=/ { vi = 1 }
		END { done_section(); exit bad }' "$@" || {
		fail "shipped rules lack their Vietnamese summaries"
		return 1
	}
}

SOURCES=$(ls agent/*.c agent/*/*.c collector/*.c common/*.c common/*/*.c 2>/dev/null)

if [ "${2:-}" = --self-test ]; then
	rc=0
	printf '#include "vigil/i18n.h"\nconst char *planted(void);\nconst char *\nplanted(void)\n{\n\treturn _("A sentence planted by the self-test, in no catalog");\n}\n' >"$T/planted.c"
	# shellcheck disable=SC2086 # one word per source
	if catalogs $SOURCES "$T/planted.c" 2>"$T/why"; then
		echo "FAIL check-catalogs --self-test: a planted sentence passed" >&2
		rc=1
	fi
	printf '[rule planted.x]\ndescription = d\npattern = x\ncategory = auth\nseverity = low\nsummary = English only\n' >"$T/planted.rules"
	if summaries deploy/rules.d/*.rules "$T/planted.rules" 2>"$T/why"; then
		echo "FAIL check-catalogs --self-test: a rule without summary_vi passed" >&2
		rc=1
	fi
	[ $rc = 0 ] && echo "  CATALOGS self-test: a planted sentence and an English-only rule caught"
	exit $rc
fi

rc=0
# shellcheck disable=SC2086
catalogs $SOURCES || rc=1
summaries deploy/rules.d/*.rules || rc=1
n=$(grep -c '^msgid ' "$T/vigil.pot" 2>/dev/null || echo 0)
r=$(cat deploy/rules.d/*.rules | grep -c '^[ \t]*summary_vi[ \t]*=')
[ $rc = 0 ] && echo "  CATALOGS $((n - 1)) sentences in po/vi.po and po/en.po; $r rules with summary_vi"
exit $rc
