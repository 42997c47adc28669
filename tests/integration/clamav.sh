# ClamAV helpers of the integration tests, sourced after lib.sh: private
# clamd instances, each in its own directory with its own configuration,
# socket and log, a one-signature database for a harmless test file, and
# unsigned daily databases with a chosen date.

need clamd clamdscan sigtool

# clamav_sample: $T/sample.bin and $T/test.hdb, the signature that finds it.
clamav_sample() {
	echo "vigil test sample $$ - harmless" >"$T/sample.bin"
	sigtool --md5 "$T/sample.bin" | sed 's/:[^:]*$/:Vigil.Test.Sample/' >"$T/test.hdb"
}

# clamd_conf DIR DBDIR: DIR/clamd.conf for a clamd on DIR/clamd.sock, logging
# to DIR/clamd.log, loading the databases in DBDIR.
clamd_conf() {
	mkdir -p "$1"
	cat >"$1/clamd.conf" <<EOC
LocalSocket $1/clamd.sock
DatabaseDirectory $2
LogFile $1/clamd.log
LogTime yes
Foreground yes
EOC
}

CLAMD_STARTS=0
# clamd_start DIR: start the clamd of DIR/clamd.conf, wait for its socket,
# set CLAMD_PID (also added to PIDS, so the trap stops it).
clamd_start() {
	CLAMD_STARTS=$((CLAMD_STARTS + 1))
	clamd -c "$1/clamd.conf" >"$1/clamd.$CLAMD_STARTS.out" 2>&1 &
	CLAMD_PID=$!
	PIDS="$PIDS $CLAMD_PID"
	wait_for 30 "clamd to listen on $1/clamd.sock" test -S "$1/clamd.sock"
}

# clamav_build_daily HDB DIR: DIR/daily.cvd, an unsigned daily database
# holding the signatures of HDB.
clamav_build_daily() {
	mkdir -p "$2"
	cp "$1" "$2/daily.hdb"
	echo "Vigil test database" >"$2/COPYING"
	(cd "$2" && echo vigil | sigtool --build=daily.cvd --unsigned --cvd-version=27800 \
		--datadir="$2" >"$2/sigtool.out" 2>&1) || fail "sigtool --build failed: $(cat "$2/sigtool.out")"
}

# clamav_dated_cud CVD OUT EPOCH: OUT, the database CVD as a daily.cud dated
# EPOCH (seconds): the date and time in the header and in daily.info, and the
# body's MD5.
clamav_dated_cud() {
	python3 - "$1" "$2" "$3" <<'EOP' || fail "the database cannot be dated"
import hashlib, io, sys, tarfile, time
src, dst, stime = sys.argv[1], sys.argv[2], int(sys.argv[3])
raw = open(src, 'rb').read()
fields = raw[:512].rstrip(b' \0').decode().split(':')
date = time.strftime('%d %b %Y %H-%M +0000', time.gmtime(stime))
out = io.BytesIO()
with tarfile.open(fileobj=io.BytesIO(raw[512:]), mode='r:gz') as t, \
     tarfile.open(fileobj=out, mode='w:gz', format=tarfile.USTAR_FORMAT) as o:
    for m in t.getmembers():
        data = t.extractfile(m).read()
        if m.name.endswith('.info'):
            lines = data.decode().split('\n')
            f = lines[0].split(':')
            f[1], f[-1] = date, str(stime)
            lines[0] = ':'.join(f)
            data = '\n'.join(lines).encode()
        m.size, m.mtime = len(data), stime
        o.addfile(m, io.BytesIO(data))
body = out.getvalue()
fields[1], fields[5], fields[-1] = date, hashlib.md5(body).hexdigest(), str(stime)
open(dst, 'wb').write(':'.join(fields).encode().ljust(512, b' ') + body)
EOP
}

# clamav_agent_conf ID DIR: the [antivirus] section of agent ID's
# configuration, for the clamd in DIR, checked every 500 ms.
clamav_agent_conf() {
	cat >>"$T/$1/agent.conf" <<EOA

[antivirus]
provider = clamav
clamd_socket = $2/clamd.sock
clamd_log = $2/clamd.log
signature_max_age = 3d
check_interval = 500ms
EOA
}
