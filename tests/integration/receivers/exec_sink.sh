#!/bin/sh
# A command for the exec notifier: exec_sink.sh MODE FILE
#   write  copy stdin (the incident JSON) to FILE, whole (written, then renamed)
#   fail   say why on stderr and exit 3
#   hang   start a child that never ends, write its PID to FILE, wait for it
set -eu
case $1 in
write)
	cat >"$2.tmp"
	printf '%s\n' "${VIGIL_INCIDENT:-}" >"$2.incident"
	mv "$2.tmp" "$2"
	;;
fail)
	cat >/dev/null
	echo "gateway down: no signal" >&2
	exit 3
	;;
hang)
	sleep 600 &
	echo $! >"$2"
	wait
	;;
esac
