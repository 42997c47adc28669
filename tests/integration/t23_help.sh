# Every program and every vigilctl command answers --help and -h: exit 0,
# the usage on stdout, nothing on stderr. A usage error is one line on
# stderr that says what is wrong and which --help to read, with exit 2.
# vigilctl's --help lists exactly the commands below (a new one must be added
# here), each command's help says who may run it (the role vigil/ctl.h's
# table gives the collector too), and under LANGUAGE=vi the help and the
# errors are in Vietnamese.
. "$(dirname "$0")/lib.sh"

COMMANDS="status agents events incidents incident audit escalation compliance pki report enroll agent inventory backup"
CTL="$BUILD/vigilctl"
# English unless a check asks for Vietnamese.
export LANGUAGE= LC_ALL=C LC_MESSAGES= LANG=

# answers HELP-OUT PROG ARGS...: exit 0, stdout non-empty, stderr empty.
answers() {
	_out=$1
	shift
	_rc=0
	"$@" >"$_out" 2>"$T/err" || _rc=$?
	[ "$_rc" = 0 ] || fail "$* exited $_rc, not 0"
	[ -s "$_out" ] || fail "$* printed no help"
	[ ! -s "$T/err" ] || fail "$* wrote to stderr: $(head -n 1 "$T/err")"
}

# one_line_error WANT PROG ARGS...: exit 2, nothing on stdout, exactly the
# line WANT on stderr.
one_line_error() {
	_want=$1
	shift
	_rc=0
	"$@" >"$T/out" 2>"$T/err" || _rc=$?
	[ "$_rc" = 2 ] || fail "$* exited $_rc, not 2"
	[ ! -s "$T/out" ] || fail "$* printed on stdout: $(head -n 1 "$T/out")"
	[ "$(wc -l <"$T/err")" = 1 ] || fail "$* wrote $(wc -l <"$T/err") lines to stderr, not one"
	[ "$(cat "$T/err")" = "$_want" ] || fail "$*: got '$(cat "$T/err")', want '$_want'"
}

# The three programs.
for prog in vigil-agent vigil-collector vigilctl; do
	for h in --help -h; do
		answers "$T/help" "$BUILD/$prog" "$h"
		head -n 1 "$T/help" | grep -q "^usage: $prog " || fail "$prog $h: no usage line first"
	done
done

# vigilctl --help names every command of the table, and no other.
"$CTL" --help | sed -n 's/^  \([a-z][a-z]*\)\( .*\)\{0,1\}$/\1/p' | sort -u >"$T/listed"
printf '%s\n' $COMMANDS | sort -u >"$T/want"
cmp -s "$T/listed" "$T/want" ||
	fail "vigilctl --help lists $(tr '\n' ' ' <"$T/listed")but the test knows $COMMANDS"

# Every command: --help and -h, its usage line, who may run it.
for c in $COMMANDS; do
	for h in --help -h; do
		answers "$T/help" "$CTL" "$c" "$h"
		head -n 1 "$T/help" | grep -q "^usage: vigilctl .* $c " ||
			fail "vigilctl $c $h: no usage line naming $c first"
		grep -q "^      Who may run it: " "$T/help" || fail "vigilctl $c $h: does not say who may run it"
	done
	# --help wins over the rest of the line, options first or after.
	answers "$T/help" "$CTL" "$c" --json --help
done
answers "$T/help" "$CTL" incident show --help
grep -q "Who may run it: viewers" "$T/help" || fail "incident show: not for viewers"
grep -q "Who may run it: operators" "$T/help" || fail "incident ack: not for operators only"
answers "$T/help" "$CTL" pki -h
grep -q "Who may run it: local" "$T/help" || fail "pki: not said to need no collector"
answers "$T/help" "$CTL" agent revoke --help
grep -q "Who may run it: root and the collector's own user" "$T/help" ||
	fail "agent revoke: not said to be for root and the collector's user"

# Usage errors: one line, the hint, exit 2.
for c in $COMMANDS; do
	one_line_error "vigilctl: unknown option --no-such-option for \"$c\"; try \"vigilctl $c --help\"" \
		"$CTL" "$c" --no-such-option
done
one_line_error 'vigilctl: unknown command "frobnicate"; try "vigilctl --help"' "$CTL" frobnicate
one_line_error 'vigilctl: no command given; try "vigilctl --help"' "$CTL"
one_line_error 'vigilctl: unknown option --no-such-option; try "vigilctl --help"' "$CTL" --no-such-option
one_line_error 'vigilctl: option --since for "events" wants a value; try "vigilctl events --help"' \
	"$CTL" events --since
one_line_error 'vigilctl: option --mine for "incidents" takes no value; try "vigilctl incidents --help"' \
	"$CTL" incidents --mine=yes
one_line_error 'vigilctl: --until is before --since; try "vigilctl events --help"' \
	"$CTL" events --since 2026-11-25 --until 2026-11-24
# The daemons: their usage line and the hint (the agent's exit status stays 1).
_rc=0
"$BUILD/vigil-collector" --no-such-option >"$T/out" 2>"$T/err" || _rc=$?
[ "$_rc" = 2 ] || fail "vigil-collector --no-such-option exited $_rc, not 2"
grep -q 'try "vigil-collector --help"' "$T/err" || fail "vigil-collector: no hint in its usage error"

# Vietnamese, as the environment asks (gettext reads LANGUAGE only outside the C locale).
vi() {
	LC_ALL= LANG=C.UTF-8 LANGUAGE=vi "$@"
}
vi "$CTL" --help >"$T/vi"
head -n 1 "$T/vi" | grep -q '^cách dùng: vigilctl ' || fail "LANGUAGE=vi vigilctl --help is not Vietnamese"
grep -q 'tính lùi từ bây giờ' "$T/vi" || fail "LANGUAGE=vi: the time help is not Vietnamese"
vi "$CTL" incident --help >"$T/vi"
grep -q 'Ai được chạy: người vận hành' "$T/vi" || fail "LANGUAGE=vi vigilctl incident --help: no role in Vietnamese"
vi "$BUILD/vigil-collector" --help >"$T/vi"
grep -q 'tệp cấu hình (collector.conf)' "$T/vi" || fail "LANGUAGE=vi vigil-collector --help is not Vietnamese"
LC_ALL= LANG=vi_VN.UTF-8 "$BUILD/vigil-agent" -h >"$T/vi"
grep -q '^cách dùng: vigil-agent' "$T/vi" || fail "LANG=vi_VN.UTF-8 vigil-agent -h is not Vietnamese"
_rc=0
vi "$CTL" incidents --no-such-option 2>"$T/err" || _rc=$?
[ "$_rc" = 2 ] && grep -q '^vigilctl: không có tùy chọn --no-such-option cho "incidents"; xem "vigilctl incidents --help"$' "$T/err" ||
	fail "LANGUAGE=vi: the usage error is not Vietnamese: $(cat "$T/err")"

# vigilctl's own messages too, not only its help.
_rc=0
vi "$CTL" events --category no-such 2>"$T/err" || _rc=$?
[ "$_rc" = 2 ] && grep -q '^vigilctl: Không có loại "no-such"; hãy dùng một trong: auth, ' "$T/err" ||
	fail "LANGUAGE=vi: a bad category is not said in Vietnamese: $(cat "$T/err")"

pass "3 programs and $(echo $COMMANDS | wc -w) vigilctl commands answer --help and -h; usage errors are one line with a hint (exit 2); help and errors in Vietnamese under LANGUAGE=vi"
