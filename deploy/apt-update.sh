# shellcheck shell=sh
# Sourced by install-deps.sh and windows/build-deps.sh: apt_update runs
# apt-get update and tries again when the archive answers with errors (a
# mirror caught mid-sync serves index files that do not match its Release
# file: "File has unexpected size ... Mirror sync in progress?"). It returns
# 0 once a run fetched every index, 1 when the last of APT_TRIES runs still
# reported errors; those errors are then in $APT_UPDATE_ERRORS and on stderr,
# and apt keeps every index it did fetch, so the caller decides whether what
# it needs is there.
#
# Another apt at work (a fresh Debian runs apt-daily and unattended-upgrades
# soon after boot) is waited for, up to APT_LOCK_WAIT seconds, not counted
# as a try: apt-get update does not wait for its lists lock itself, and
# apt-get install waits for dpkg's with $APT_LOCK (DPkg::Lock::Timeout).
APT_TRIES=${APT_TRIES:-3}
APT_WAIT=${APT_WAIT:-20}
APT_LOCK_WAIT=${APT_LOCK_WAIT:-600}
# shellcheck disable=SC2034 # for the scripts that source this one
APT_LOCK="-o DPkg::Lock::Timeout=$APT_LOCK_WAIT"

apt_update() {
	_n=1
	_locked=0
	while :; do
		APT_UPDATE_ERRORS=$(apt-get update -qq 2>&1 | grep -E '^(E|Err):' || true)
		[ -z "$APT_UPDATE_ERRORS" ] && return 0
		case $APT_UPDATE_ERRORS in
		*"Could not get lock"*)
			if [ "$_locked" -lt "$APT_LOCK_WAIT" ]; then
				[ "$_locked" = 0 ] && echo "apt-get update: another apt holds its lock; waiting up to ${APT_LOCK_WAIT}s" >&2
				sleep 5
				_locked=$((_locked + 5))
				continue
			fi
			;;
		esac
		[ "$_n" -ge "$APT_TRIES" ] && break
		echo "apt-get update: the archive answered with errors (try $_n of $APT_TRIES); again in ${APT_WAIT}s" >&2
		sleep "$APT_WAIT"
		_n=$((_n + 1))
	done
	echo "$APT_UPDATE_ERRORS" >&2
	return 1
}
