#!/bin/sh
# The shipped rules (deploy/rules.d) load cleanly through `vigil-agent -n`,
# and do what their samples (tests/data/rules/*.samples) say:
#
#   # rule: ID      a block of samples for one rule or threshold, run through
#                   one `vigil-agent --test-rules` process, in order (so
#                   threshold windows and suppression accumulate)
#   + LINE          must fire ID
#   - LINE          must not fire ID
#   . LINE          part of a sequence (thresholds, suppression); must not fire ID
#   = KEY=VALUE     the event of the '+' line above carries this field
#   other lines starting with '#', and blank lines, are comments
#
# A LINE is a log line, or a rendered Windows event on one line (EvtRender's
# XML, line ends inside values as &#13;&#10;), optionally preceded by
# "<?vigil-fact NAME=VALUE?>"; a block is all lines or all events.
#
# Every shipped rule and threshold must have at least one '+' and one '-'
# sample, and every rules file its samples file. Prints a summary; exits 1 on
# any failure, naming the samples file, its line and the rule.
CHECK=check-rules
. "$(dirname "$0")/check-lib.sh"
RULES="$TOP/deploy/rules.d"
SAMPLES="$TOP/tests/data/rules"

# 1. The shipped directory loads without a single bad rule under -n.
mkdir "$T/state" "$T/local"
cat >"$T/agent.conf" <<EOF
[agent]
state_dir = $T/state
rules_dir = $RULES
local_rules_dir = $T/local

[collector]
address = 127.0.0.1
ca = $T/ca.crt
cert = $T/agent.crt
key = $T/agent.key

[source auth]
path = $T/auth.log
EOF
if ! "$AGENT" -n -f "$T/agent.conf" >"$T/n.out" 2>&1; then
	fail "vigil-agent -n does not accept the shipped rules in deploy/rules.d:"
	sed 's/^/    /' "$T/n.out" >&2
fi

# 2. The samples, split into blocks: blk.N.id (rule id), .in (the lines),
#    .exp ("index mark file:line"), .want ("index file:line key=value").
for rules in "$RULES"/*.rules; do
	s="$SAMPLES/$(basename "$rules" .rules).samples"
	[ -f "$s" ] || fail "${rules#"$TOP"/} has no samples file ${s#"$TOP"/}"
done
nfiles=0
for s in "$SAMPLES"/*.samples; do
	[ -f "$s" ] || continue
	nfiles=$((nfiles + 1))
	awk -v T="$T" -v F="${s#"$TOP"/}" -v B="$(ls "$T" | grep -c '\.id$')" '
		function bad(msg) { printf "FAIL check-rules: %s:%d: %s\n", F, FNR, msg > "/dev/stderr"; err = 1 }
		/^# rule: / {
			b = B + (++nb); n = 0; last = 0
			print $3 > (T "/blk." b ".id"); close(T "/blk." b ".id")
			printf "" > (T "/blk." b ".in"); printf "" > (T "/blk." b ".want")
			next
		}
		/^#/ || /^[ \t]*$/ { next }
		{
			m = substr($0, 1, 1)
			if (substr($0, 2, 1) != " " || index("+-.=", m) == 0) { bad("a sample line starts with \"+ \", \"- \", \". \" or \"= \""); next }
			if (nb == 0) { bad("a sample before the first \"# rule: ID\""); next }
			if (m == "=") {
				if (last == 0) { bad("\"=\" must follow a \"+\" line"); next }
				printf "%d\t%s:%d\t%s\n", last, F, FNR, substr($0, 3) > (T "/blk." b ".want")
				next
			}
			n++
			print substr($0, 3) > (T "/blk." b ".in")
			printf "%d\t%s\t%s:%d\n", n, m, F, FNR > (T "/blk." b ".exp")
			last = (m == "+") ? n : 0
		}
		END { exit err }
	' "$s" || rc=1
done

# 3. Each block through one --test-rules process; compare.
nblocks=0
for idf in "$T"/blk.*.id; do
	[ -f "$idf" ] || continue
	b=${idf%.id}
	id=$(cat "$idf")
	nblocks=$((nblocks + 1))
	if [ ! -f "$b.exp" ]; then
		fail "the samples of $id are empty"
		continue
	fi
	if ! "$AGENT" --test-rules -r "$RULES" <"$b.in" >"$b.out" 2>"$b.err"; then
		fail "vigil-agent --test-rules failed on the samples of $id:"
		sed 's/^/    /' "$b.err" >&2
		continue
	fi
	awk -F '\t' -v ID="$id" -v OUT="$b.out" -v WANT="$b.want" -v CNT="$T/count" '
		function report(where, msg) { printf "FAIL check-rules: %s: rule %s: %s\n", where, ID, msg > "/dev/stderr"; err = 1 }
		BEGIN {
			while ((getline l < OUT) > 0) {
				split(l, f, "\t")
				got[f[1]] = got[f[1]] (got[f[1]] == "" ? "" : ", ") (f[2] == "" ? "-" : f[2])
				if (f[2] == ID) { fired[f[1]] = 1; fields[f[1]] = f[6] }
			}
		}
		{
			checked++
			if ($2 == "+" && !($1 in fired))
				report($3, "must fire, did not (fired: " (got[$1] == "" ? "nothing" : got[$1]) ")")
			else if ($2 != "+" && ($1 in fired))
				report($3, "must not fire, fired: " fields[$1])
		}
		END {
			while ((getline l < WANT) > 0) {
				split(l, w, "\t")
				checked++
				if (!(w[1] in fired))
					continue
				if (index(" " fields[w[1]] " ", " " w[3] " ") == 0)
					report(w[2], "the event lacks the field " w[3] " (fields: " fields[w[1]] ")")
			}
			print checked >> CNT
			exit err
		}
	' "$b.exp" || rc=1
done

# 4. Every shipped rule and threshold has a '+' and a '-' sample; every
#    block names a shipped id.
cat "$RULES"/*.rules | sed -n 's/^[[:space:]]*\[[[:space:]]*\(rule\|threshold\)[[:space:]]\{1,\}\([^]]*[^][:space:]]\)[[:space:]]*\][[:space:]]*$/\2/p' |
	sort >"$T/ids"
for idf in "$T"/blk.*.id; do
	[ -f "$idf" ] || continue
	b=${idf%.id}
	[ -f "$b.exp" ] || continue
	awk -v ID="$(cat "$idf")" '{ print ID "\t" $2 }' "$b.exp"
done | sort -u >"$T/marks"
awk -F '\t' -v IDS="$T/ids" '
	BEGIN { while ((getline id < IDS) > 0) shipped[id] = 1 }
	{ mark[$1, $2] = 1; seen[$1] = 1 }
	END {
		for (id in shipped) {
			if (!((id, "+") in mark))
				printf "FAIL check-rules: rule %s has no \"+\" sample in tests/data/rules\n", id > "/dev/stderr"
			if (!((id, "-") in mark))
				printf "FAIL check-rules: rule %s has no \"-\" sample in tests/data/rules\n", id > "/dev/stderr"
			if (!((id, "+") in mark) || !((id, "-") in mark))
				err = 1
		}
		for (id in seen)
			if (!(id in shipped)) {
				printf "FAIL check-rules: samples for %s, which is not a shipped rule or threshold\n", id > "/dev/stderr"
				err = 1
			}
		exit err
	}
' "$T/marks" || rc=1

nlines=0
[ -f "$T/count" ] && nlines=$(awk '{ s += $1 } END { print s + 0 }' "$T/count")
nids=$(wc -l <"$T/ids")
finish "  RULES   $nids shipped rules, $nblocks sample blocks in $nfiles files, $nlines checks passed" \
    "  RULES   $nids shipped rules, $nblocks sample blocks in $nfiles files: FAILED"
