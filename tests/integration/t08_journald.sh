# The journald source against a real, private systemd-journald: sshd-style
# messages go in through journald's syslog socket, the agent reads the journal
# directory by identifier, and the events reach the collector exactly once
# across agent restarts (SIGTERM, and SIGKILL in the middle of a burst).
#
# Everything runs in a private journald (journald.sh).
. "$(dirname "$0")/journald.sh"
journald_enter "$0" "$@" || { echo "  SKIP    t08_journald: $JOURNALD_WHY" | tee -a "${VIGIL_SKIPS:-/dev/null}"; exit 0; }
. "$(dirname "$0")/lib.sh"
journald_start

# journal_burst FIRST LAST: what gen_lines writes, as journald entries: every
# 20th message is sshd's failed password for uNNNNNN, the rest are sshd noise;
# a decoy identifier logs the same failed passwords for xNNNNNN, which the
# source's identifier filter must keep out.
journal_burst() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		for (i = a; i <= b; i++)
			if (i % 20 == 0)
				printf "Failed password for u%06d from 10.0.%d.%d port %d ssh2\n", i, (i / 256) % 256, i % 256, 1024 + i % 60000
			else
				printf "Connection closed by 10.1.%d.%d port %d [preauth] line %d\n", (i / 256) % 256, i % 256, 1024 + i % 60000, i
	}' | logger -u "$DEVLOG" -t sshd -p auth.info || fail "logger (sshd) failed"
	awk -v a="$1" -v b="$2" 'BEGIN {
		for (i = a; i <= b; i++)
			if (i % 20 == 0)
				printf "Failed password for x%06d from 10.2.%d.%d port 22 ssh2\n", i, (i / 256) % 256, i % 256
	}' | logger -u "$DEVLOG" -t decoy -p auth.info || fail "logger (decoy) failed"
}

pki_setup pc-01
write_collector_conf 0
start_collector
write_agent_conf pc-01 "$PORT"
cat >>"$T/pc-01/agent.conf" <<EOJ

[journal system]
directory = $T/journal
identifiers = sshd
EOJ
start_agent pc-01

# A new source starts at the end of the journal: only what comes after.
journal_burst 1 1000
wait_for 60 "50 events" count_is pc-01 50
check_exact pc-01 1 1000

# Stopped cleanly, entries written while it is down, started again.
stop_pid "$AGENT_PID" TERM
journal_burst 1001 2000
start_agent pc-01
wait_for 60 "100 events" count_is pc-01 100
check_exact pc-01 1 2000

# Killed while it reads a burst, then more entries while it is down.
journal_burst 2001 4000
stop_pid "$AGENT_PID" KILL
journal_burst 4001 5000
start_agent pc-01
wait_for 60 "250 events" count_is pc-01 250
check_exact pc-01 1 5000

# Killed once it has sent part of a burst.
journal_burst 5001 7000
wait_for 60 "some events of the burst" sh -c "[ \$(sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \"select count(*) from events\") -gt 250 ]"
stop_pid "$AGENT_PID" KILL
start_agent pc-01
wait_for 60 "350 events" count_is pc-01 350
check_exact pc-01 1 7000
grep -q "Journal source system is new" "$T/agent-pc-01.log" ||
	fail "the agent did not log the new journal source"
pass "private journald, identifier filter, SIGTERM and SIGKILL restarts, none missing, none twice"
