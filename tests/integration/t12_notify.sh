# The notifiers against real receivers on 127.0.0.1: an SMTP server with
# STARTTLS and AUTH and one with implicit TLS (python3-aiosmtpd), HTTPS webhook
# receivers with a certificate made here by vigilctl pki (one that fails
# twice, one down, one that comes up late), and commands that write, fail and
# hang. tests/unit/test_notify_live.c drives the notifiers and checks every
# attempt; this script starts the receivers and checks what they received.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3 # Debian's, where python3-aiosmtpd lives
R="$TOP/tests/integration/receivers"
LIVE="$BUILD/tests/test_notify_live"
[ -x "$LIVE" ] || fail "$LIVE is not built"
need python3:aiosmtpd

pki_setup
"$BUILD/vigilctl" pki init "$T/pki2" >/dev/null || fail "vigilctl pki init (the wrong CA) failed"
CRT="$T/pki/collector.crt"
KEY="$T/pki/collector.key"

# start_receiver NAME SCRIPT ARGS...: start it with --port-file, wait for the port, set RPORT.
start_receiver() {
	_name=$1 _script=$2
	shift 2
	"$PY" "$R/$_script" --port-file "$T/$_name.port" "$@" >"$T/$_name.log" 2>&1 &
	PIDS="$PIDS $!"
	wait_for 20 "the $_name receiver to listen" test -s "$T/$_name.port"
	RPORT=$(cat "$T/$_name.port")
}

mkdir -p "$T/mail" "$T/mails" "$T/hook" "$T/flaky" "$T/late"
start_receiver smtp smtp_sink.py --dir "$T/mail" --cert "$CRT" --key "$KEY" --starttls \
	--auth vigil:s3cret
SMTP_PORT=$RPORT
start_receiver smtps smtp_sink.py --dir "$T/mails" --cert "$CRT" --key "$KEY" --implicit-tls \
	--auth vigil:s3cret
SMTPS_PORT=$RPORT
start_receiver hook https_sink.py --dir "$T/hook" --cert "$CRT" --key "$KEY"
HOOK_PORT=$RPORT
start_receiver flaky https_sink.py --dir "$T/flaky" --cert "$CRT" --key "$KEY" --fail-first 2
FLAKY_PORT=$RPORT
DOWN_PORT=$(free_port)
LATE_PORT=$(free_port)

VIGIL_SMTP_PORT=$SMTP_PORT VIGIL_SMTPS_PORT=$SMTPS_PORT VIGIL_SMTP_CA="$T/pki/ca.crt" \
VIGIL_SMTP_USER=vigil VIGIL_SMTP_PASSWORD=s3cret \
VIGIL_WEBHOOK_URL="https://127.0.0.1:$HOOK_PORT/vigil" VIGIL_WEBHOOK_CA="$T/pki/ca.crt" \
VIGIL_WRONG_CA="$T/pki2/ca.crt" VIGIL_FLAKY_URL="https://127.0.0.1:$FLAKY_PORT/vigil" \
VIGIL_DOWN_URL="https://127.0.0.1:$DOWN_PORT/vigil" \
VIGIL_LATE_URL="https://127.0.0.1:$LATE_PORT/vigil" \
VIGIL_EXEC_OUT="$T/exec.out" VIGIL_RECEIVERS="$R" \
	"$LIVE" >"$T/live.log" 2>&1 &
LIVE_PID=$!
PIDS="$PIDS $LIVE_PID"

# The late receiver comes up once the first attempt to reach it has failed.
late_or_exit() {
	grep -q "^late: attempt 1 failed" "$T/live.log" || ! kill -0 "$LIVE_PID"
}
wait_for 60 "the first attempt at the late webhook" late_or_exit
grep -q "^late: attempt 1 failed" "$T/live.log" || { cat "$T/live.log" >&2; fail "test_notify_live stopped early"; }
start_receiver late https_sink.py --dir "$T/late" --cert "$CRT" --key "$KEY" --port "$LATE_PORT"

wait_for 60 "test_notify_live to finish" sh -c "! kill -0 $LIVE_PID"
if ! wait "$LIVE_PID"; then
	cat "$T/live.log" >&2
	fail "test_notify_live failed"
fi
if grep -q "SKIPPED" "$T/live.log"; then
	cat "$T/live.log" >&2
	fail "test_notify_live skipped a test: a receiver variable is missing"
fi

"$PY" - "$T" <<'EOF' || fail "the receivers did not get what was sent"
import email, email.policy, json, os, sys

t = sys.argv[1]
def check(cond, what):
    if not cond:
        sys.exit("check failed: " + what)

def files(d, ext):
    return sorted(f for f in os.listdir(os.path.join(t, d)) if f.endswith(ext))

# SMTP with STARTTLS and AUTH: one message (the wrong password sent none).
check(files("mail", ".eml") == ["001.eml"], "one message at the STARTTLS server, got %s" % files("mail", ".eml"))
meta = json.load(open(os.path.join(t, "mail/001.json")))
check(meta["tls"] and meta["authenticated"], "STARTTLS and AUTH were used: %s" % meta)
check(meta["mail_from"] == "vigil@ubnd-phuong-x.example", "envelope sender %s" % meta["mail_from"])
check(meta["rcpt_tos"] == ["it-officer@ubnd-phuong-x.example", "head@ubnd-phuong-x.example"],
      "envelope recipients %s" % meta["rcpt_tos"])
raw = open(os.path.join(t, "mail/001.eml"), "rb").read()
check(b"\n.." not in raw, "no dot-stuffing left in the message")
msg = email.message_from_bytes(raw, policy=email.policy.default)
subject = "[Vigil][CAO] Tấn công mạng: Dò mật khẩu SSH — máy pc-ketoan, đơn vị UBND phường X"
check(msg["Subject"] == subject, "subject %r" % msg["Subject"])
check(msg["From"].addresses[0].display_name == "Vigil UBND phường X", "From %r" % msg["From"])
check([a.addr_spec for a in msg["To"].addresses] ==
      ["it-officer@ubnd-phuong-x.example", "head@ubnd-phuong-x.example"], "To %r" % msg["To"])
check(msg["Date"] is not None and msg["Date"].datetime.utcoffset().total_seconds() == 7 * 3600,
      "Date %r" % msg["Date"])
check(msg["Message-ID"].endswith("@ubnd-phuong-x.example>"), "Message-ID %r" % msg["Message-ID"])
check(msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8", "content type")
body = msg.get_content()
for want in ("Kính gửi Cán bộ CNTT,", "Mức độ:        CAO", "Máy:           pc-ketoan",
             "Lần đầu:       25/11/2026 17:00:03 (UTC+07:00)",
             "Failed password for admin from 203.0.113.9 port 51240 ssh2",
             "Việc cần làm:", "vigilctl incident ack 42"):
    check(want in body, "the body says %r" % want)

# SMTPS (implicit TLS).
check(files("mails", ".eml") == ["001.eml"], "one message at the smtps server")
meta = json.load(open(os.path.join(t, "mails/001.json")))
check(meta["tls"] and meta["rcpt_tos"] == ["police@ca-phuong-x.example"], "smtps envelope %s" % meta)

# The webhook: one POST (the wrong CA never got through), the JSON and the bearer header.
check(files("hook", ".json") == ["001.json"], "one POST at the webhook, got %s" % files("hook", ".json"))
doc = json.load(open(os.path.join(t, "hook/001.json"), encoding="utf-8"))
check(doc["incident"] == 42 and doc["severity"] == "high" and doc["category"] == "attack", "JSON %s" % doc)
check(doc["subject"] == subject and len(doc["evidence"]) == 2 and "Kính gửi" in doc["text"], "JSON texts")
headers = open(os.path.join(t, "hook/001.headers")).read()
check("Authorization: Bearer t0ken-xyz" in headers, "the bearer header")
check("Content-Type: application/json" in headers, "the content type")

# Failed twice, then stored once; the late receiver got it once.
check(open(os.path.join(t, "flaky/failed")).read().strip() == "2", "two refused requests")
check(files("flaky", ".json") == ["001.json"], "one stored POST at the flaky receiver")
check(files("late", ".json") == ["001.json"], "one POST at the late receiver")

# exec: the incident JSON on stdin, the incident id in the environment.
doc = json.load(open(os.path.join(t, "exec.out"), encoding="utf-8"))
check(doc["incident"] == 42 and doc["host"] == "pc-ketoan", "exec JSON %s" % doc)
check(open(os.path.join(t, "exec.out.incident")).read().strip() == "42", "VIGIL_INCIDENT")
EOF

grep -q "^webhook-down: attempt 3 failed: The webhook could not be reached: Cannot connect" \
	"$T/live.log" || fail "the down receiver's attempts are not in the log"
pass "SMTP (STARTTLS+AUTH, smtps), HTTPS webhooks (TLS verified, wrong CA refused, retries), exec (stdin, exit, timeout)"
