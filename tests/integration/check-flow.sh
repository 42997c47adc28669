#!/bin/sh
# check-flow.sh BUILD [--self-test]: the collector runs one way (DESIGN,
# "Flow one way"; issue 12).
#
#   1. The pipeline's stages, in order:
#        session     session*.c reserve.c         (session*.h reserve.h)
#        store       store*.c                     (store.h store_int.h)
#        incidents   incident*.c                  (incident.h incident_fsm.h)
#        escalation  escalate*.c                  (escalate*.h)
#        notifiers   notify*.c template.c         (notify.h template.h)
#      A file of one stage neither includes the header of an earlier stage
#      nor calls a function of one (by its prefix: session_, reserve_,
#      incident_, escalate_, notify_, template_). The store is the record
#      every later stage keeps: they may call it, and it calls none of them
#      (it includes and calls nothing of session, incidents, escalation or
#      notifiers). Files of no stage (main.c wires them, control*.c serves
#      the operator, presence.c, audit.c, compliance.c, conf.c, roles.c are
#      shared services) are not checked here.
#   2. SQL lives in store*.c only: no other collector file names SQLite
#      (sqlite3_*, <sqlite3.h>) or holds an SQL statement in a string.
#
# Comments and string literals are blanked before the calls are looked for,
# so a sentence that mentions session_start() is no call. --self-test copies
# the collector, plants a backward call, a backward include and an SQL
# statement outside the store, and fails unless each is caught.
CHECK=check-flow
. "$(dirname "$0")/check-lib.sh"
cd "$TOP" || exit 1

# stage_of FILE: the stage number of a collector file (basename), 0 for none.
stage_of() {
	case $1 in
	session*.c | session*.h | reserve.c | reserve.h) echo 1 ;;
	store*.c | store*.h) echo 2 ;;
	incident*.c | incident*.h) echo 3 ;;
	escalate*.c | escalate*.h) echo 4 ;;
	notify*.c | notify*.h | template.c | template.h) echo 5 ;;
	*) echo 0 ;;
	esac
}

# The prefixes of each stage's functions, for the calls.
PREFIX_1='session_|reserve_'
PREFIX_2='store_'
PREFIX_3='incident_'
PREFIX_4='escalate_'
PREFIX_5='notify_|template_'
NAME_1=session NAME_2=store NAME_3=incidents NAME_4=escalation NAME_5=notifiers

# strip FILE: the file with comments, string and character literals blanked
# (line numbers kept), so that only code is searched.
strip() {
	awk '
	{
		out = ""; n = length($0)
		for (i = 1; i <= n; i++) {
			ch = substr($0, i, 1); two = substr($0, i, 2)
			if (incomment) {
				if (two == "*/") { incomment = 0; i++ }
				continue
			}
			if (instr) {
				if (ch == "\\") { i++; continue }
				if (ch == q) { instr = 0; out = out q }
				continue
			}
			if (two == "/*") { incomment = 1; i++; continue }
			if (two == "//") break
			if (ch == "\"" || ch == "\047") { instr = 1; q = ch; out = out ch; continue }
			out = out ch
		}
		instr = 0
		print out
	}' "$1"
}

# check_dir DIR: every rule over the collector sources in DIR; 1 on a failure.
check_dir() {
	_dir=$1
	_bad=0
	for _f in "$_dir"/*.c "$_dir"/*.h; do
		_b=${_f##*/}
		_k=$(stage_of "$_b")
		[ "$_k" = 0 ] && continue
		strip "$_f" >"$T/code"
		_j=1
		while [ "$_j" -lt "$_k" ]; do
			eval "_p=\$PREFIX_$_j _n=\$NAME_$_j"
			eval "_me=\$NAME_$_k"
			# The store may be called by every later stage, never the reverse.
			if [ "$_j" != 2 ]; then
				grep -nE "(^|[^A-Za-z0-9_.>])($_p)[A-Za-z0-9_]*[[:space:]]*\(" "$T/code" |
					sed "s|^\\([0-9]*\\):.*|\\1|" | while read -r _line; do
					_call=$(sed -n "${_line}p" "$T/code" |
						grep -oE "(^|[^A-Za-z0-9_.>])($_p)[A-Za-z0-9_]*[[:space:]]*\(" |
						head -n 1 | sed 's/^[^A-Za-z_]*//; s/[[:space:]]*($//')
					echo "    $_b:$_line: $_me calls $_call() of $_n, a stage before it"
				done >>"$T/why"
			fi
			# Includes: a header of an earlier stage (the store's is allowed).
			if [ "$_j" != 2 ]; then
				sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$_f" |
					while read -r _h; do
						[ "$(stage_of "${_h##*/}")" = "$_j" ] &&
							echo "    $_b: $_me includes $_h of $_n, a stage before it"
					done >>"$T/why"
			fi
			_j=$((_j + 1))
		done
		# The store calls and includes nothing of the stages it feeds.
		if [ "$_k" = 2 ]; then
			for _j in 1 3 4 5; do
				eval "_p=\$PREFIX_$_j _n=\$NAME_$_j"
				grep -nE "(^|[^A-Za-z0-9_.>])($_p)[A-Za-z0-9_]*[[:space:]]*\(" "$T/code" |
					sed "s|^\\([0-9]*\\):.*|    $_b:\\1: the store calls a function of $_n|" >>"$T/why"
				sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$_f" |
					while read -r _h; do
						[ "$(stage_of "${_h##*/}")" = "$_j" ] &&
							echo "    $_b: the store includes $_h of $_n"
					done >>"$T/why"
			done
		fi
	done
	# SQL only in the store.
	for _f in "$_dir"/*.c "$_dir"/*.h; do
		_b=${_f##*/}
		case $_b in store*) continue ;; esac
		grep -nE 'sqlite3|"[[:space:]]*(SELECT|INSERT[[:space:]]+INTO|UPDATE[[:space:]]+[a-z_]+[[:space:]]+SET|DELETE[[:space:]]+FROM|CREATE[[:space:]]+(TABLE|INDEX)|PRAGMA|BEGIN[[:space:]]+IMMEDIATE)[[:space:]]' "$_f" |
			sed "s|^\\([0-9]*\\):.*|    $_b:\\1: SQL outside store*.c|" >>"$T/why"
	done
	if [ -s "$T/why" ]; then
		cat "$T/why" >&2
		rm -f "$T/why"
		return 1
	fi
	return 0
}

if [ "${2:-}" = --self-test ]; then
	caught=0
	for plant in call include sql; do
		rm -rf "$T/c"
		cp -R collector "$T/c"
		case $plant in
		call) where='incident.c:.*session_shutdown'
			printf '\nvoid planted(struct collector *c);\nvoid\nplanted(struct collector *c)\n{\n\tsession_shutdown(c);   /* incidents calling back up */\n}\n' >>"$T/c/incident.c" ;;
		include) where='escalate_run.c: escalation includes session.h'
			sed -i '0,/^#include "/s//#include "session.h"\n#include "/' "$T/c/escalate_run.c" ;;
		sql) where='control.c:[0-9]*: SQL'
			printf '\nstatic const char planted_sql[] = "SELECT id FROM incidents";\n' >>"$T/c/control.c" ;;
		esac
		if check_dir "$T/c" 2>"$T/planted.why"; then
			fail "--self-test: a planted $plant passed"
		elif ! grep -q "$where" "$T/planted.why"; then
			cat "$T/planted.why" >&2
			fail "--self-test: a planted $plant was not the failure named"
		else
			caught=$((caught + 1))
		fi
	done
	finish "  FLOW    self-test: $caught planted violations caught (a call back up, an include back up, SQL outside the store)" \
		"FAIL check-flow --self-test"
fi

check_dir collector || fail "the collector does not run one way (above)"
n=$(ls collector/*.c | wc -l)
finish "  FLOW    $n collector files: session -> store -> incidents -> escalation -> notifiers, SQL in store*.c only" \
	"FAIL check-flow"
