# A private systemd-journald for a test or a bench. journald is not running on
# these machines, but a private one works in a private mount namespace: tmpfs
# on /run/systemd and /run/log, the test's directory bound on
# /var/log/journal. Nothing outside the namespace sees it, and the namespace
# goes with the last process in it.
#
#   . tests/integration/journald.sh
#   journald_enter "$0" "$@" || { echo "skipped: $JOURNALD_WHY"; exit 0; }   # before lib.sh
#   . tests/integration/lib.sh
#   journald_start          # sets DEVLOG and JOURNALD_PID; the journal is in $T/journal

DEVLOG=/run/systemd/journal/dev-log

# journald_enter SCRIPT [ARGS]: run SCRIPT again inside a private mount
# namespace, once. Returns 1 with the reason in JOURNALD_WHY when it cannot
# (no journald, or not root); inside the namespace it returns 0.
journald_enter() {
	[ -n "${VIGIL_JOURNALD_NS:-}" ] && return 0
	if [ ! -x /lib/systemd/systemd-journald ]; then
		JOURNALD_WHY="/lib/systemd/systemd-journald is missing"
		return 1
	fi
	if [ "$(id -u)" != 0 ]; then
		JOURNALD_WHY="a private mount namespace needs root"
		return 1
	fi
	VIGIL_JOURNALD_NS=1 exec unshare -m --propagation private sh "$@"
}

# journald_start: mounts, journald, and its journal flushed to $T/journal.
journald_start() {
	mkdir "$T/journal"
	mount -t tmpfs -o mode=0755 tmpfs /run/systemd || fail "cannot mount a tmpfs on /run/systemd"
	mount -t tmpfs -o mode=0755 tmpfs /run/log || fail "cannot mount a tmpfs on /run/log"
	if [ ! -d /var/log/journal ]; then
		# Only inside this namespace: the host's /var/log is left as it is.
		mount -t tmpfs -o mode=0755 tmpfs /var/log || fail "cannot mount a tmpfs on /var/log"
		mkdir /var/log/journal
	fi
	mount --bind "$T/journal" /var/log/journal || fail "cannot bind $T/journal on /var/log/journal"

	# journald takes an argument as a namespace name: none is given.
	/lib/systemd/systemd-journald >"$T/journald.log" 2>&1 &
	JOURNALD_PID=$!
	PIDS="$PIDS $JOURNALD_PID"
	wait_for 20 "journald's socket" test -S "$DEVLOG"
	# From the runtime journal in /run/log to the persistent one the agent reads.
	timeout 20 journalctl --flush || fail "journalctl --flush failed"
	wait_for 20 "the persistent journal" sh -c "ls '$T'/journal/*/system.journal"
}
