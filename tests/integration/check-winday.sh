#!/bin/sh
# A recorded day of a Windows PC's events through the shipped rules
# (deploy/rules.d) and `vigil-agent --test-rules`: tests/data/winevents/day.xml
# holds 251 rendered events of MAY-KE-TOAN-01, a Vietnamese Windows, in the
# order of their record ids, as `wevtutil qe /f:xml` prints them (CRLF between
# events): service logons and state changes, Nguyễn Văn An's logons and two
# typing mistakes, Defender's scans and updates; a password-guessing burst
# over Remote Desktop (7 in 35 s from 203.0.113.50), a spraying burst (9 names
# from 198.51.100.77, 40 s apart), a new administrator (4720, 4722, 4738,
# 4732), a service and software installed, Defender with Kaspersky as the
# active antivirus (its switch-off quiet, a detection still raised), Kaspersky
# removed, Defender active again (a detection, its quarantine, protection
# switched off), a USB stick and a mouse, and both logs cleared.
#
# tests/data/winevents/day.expect says, for each event that must give one,
# the rule (or threshold) it gives and a field it carries: exactly those
# events and alarms must come out, every other event none. Prints a summary;
# exits 1 on any failure.
CHECK=check-winday
. "$(dirname "$0")/check-lib.sh"
DAY="$TOP/tests/data/winevents/day.xml"
EXPECT="$TOP/tests/data/winevents/day.expect"

if ! "$AGENT" --test-rules -r "$TOP/deploy/rules.d" <"$DAY" >"$T/out" 2>"$T/err"; then
	fail "vigil-agent --test-rules failed on ${DAY#"$TOP"/}:"
	sed 's/^/    /' "$T/err" >&2
fi
[ -s "$T/err" ] && { fail "vigil-agent said something on stderr:"; sed 's/^/    /' "$T/err" >&2; }
nevents=$(grep -c '<Event ' "$DAY")
nout=$(cut -f1 "$T/out" | sort -un | wc -l)
[ "$nout" = "$nevents" ] || fail "$nevents events in, $nout numbered results out"

awk -F '\t' -v OUT="$T/out" '
	function bad(msg) { printf "FAIL check-winday: %s\n", msg > "/dev/stderr"; err = 1 }
	BEGIN {
		while ((getline l < OUT) > 0) {
			split(l, f, "\t")
			if (f[2] == "-")
				continue
			got[f[1] "\t" f[2]] = " " f[6] " "
			ngot++
		}
	}
	/^#/ { next }
	{
		k = $1 "\t" $2
		want++
		if (!(k in got)) {
			bad("event " $1 " must give " $2 ", did not")
			next
		}
		if ($3 != "" && index(got[k], " " $3 " ") == 0)
			bad("event " $1 ": " $2 " lacks " $3 " (fields:" got[k] ")")
		delete got[k]
	}
	END {
		for (k in got) {
			split(k, f, "\t")
			bad("event " f[1] " gave " f[2] ", which it must not")
		}
		printf "%d %d\n", want, ngot > (OUT ".n")
		exit err
	}
' "$EXPECT" || rc=1
read -r nwant ngot <"$T/out.n" 2>/dev/null || { nwant=0; ngot=0; }
nalarms=$(grep -c '	win\.\(logon_guessing\|user_guessing\|password_spray\)	' "$T/out")
finish "  WINDAY  $nevents recorded Windows events: $ngot events and alarms, as expected ($nalarms alarms of thresholds)" \
    "  WINDAY  $nevents recorded Windows events: FAILED"
