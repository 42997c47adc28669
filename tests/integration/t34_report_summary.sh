# The periodic summary inside the collector (issue 17, part 2): a generated
# November 2026 of one unit in the store (three machines' posture history, a
# machine of another unit, incidents opened, acknowledged and resolved at
# known times, one of October) → vigilctl report summary --unit U --period
# 2026-11 as CSV, HTML and PDF, every figure checked against the test's own
# computation; then the collector with [report] summary_schedule = monthly
# mails November's summary (the month over by the clock) once, as a PDF
# attachment, to a real SMTP server on 127.0.0.1, and not again after a
# restart; a renderer that fails is reported and leaves the collector serving.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3 # Debian's, where python3-aiosmtpd lives
need soffice pdftotext python3:aiosmtpd
chmod 755 "$T"
pki_setup pc-01

profile() {
	cat <<EOF

[unit]
name = Ủy ban nhân dân phường Đông Hòa
parent = Ủy ban nhân dân thành phố Dĩ An
short = UBND
place = Đông Hòa
address = Số 1 đường Nguyễn Huệ
head_name = Nguyễn Thị Hằng
head_position = Chủ tịch
it_name = Lê Quốc Việt
it_position = Công chức
it_phone = 0274 3 123 456
it_email = cntt@donghoa.gov.vn
format = party

[recipient standing]
name = Ban Thường vụ Đảng ủy phường

[report]
shipped = $BUILD/reports
holidays = $BUILD/reports/holidays.conf
renderer = $BUILD/vigil-report-render
$1
EOF
}
write_collector_conf 0 "$(profile '')"
start_collector
stop_pid "$COLL_PID"

# The generated month: times in microseconds, local days of UTC+07:00.
"$PY" - "$T/vigil.db" >"$T/expected.txt" <<'EOF'
import sqlite3, sys, math
db = sqlite3.connect(sys.argv[1])
H = 3600 * 10**6
def vn(y, m, d, h=0, mi=0):
    import calendar
    return (calendar.timegm((y, m, d, h, mi, 0)) - 7 * 3600) * 10**6
U = "phuong-dong-hoa"
for a, unit in (("pc-a", U), ("pc-b", U), ("pc-c", U), ("pc-x", "khac")):
    db.execute("INSERT INTO agents (agent, hostname, unit, first_seen, last_seen) VALUES (?,?,?,?,?)",
               (a, a, unit, vn(2026, 10, 1), vn(2026, 12, 1)))
def posture(agent, t, ok):
    db.execute("INSERT INTO posture_history (agent, recv_us, av_product, av_running, av_signatures_us,"
               " security_updates_pending) VALUES (?,?,?,?,?,0)",
               (agent, t, "ClamAV", 1 if ok else 2, t - H))
posture("pc-a", vn(2026, 10, 31, 9), True)          # compliant all month
posture("pc-b", vn(2026, 10, 20, 9), False)         # not until 11/11 10:00
posture("pc-b", vn(2026, 11, 11, 10), True)
posture("pc-c", vn(2026, 10, 20, 9), False)         # never
posture("pc-c", vn(2026, 11, 15, 9), False)
posture("pc-x", vn(2026, 10, 20, 9), False)         # another unit: not counted
# Incidents: (opened, minutes to ack, hours to resolve or None)
incs = [(vn(2026, 11, 2, 8), 10, 1), (vn(2026, 11, 9, 14), 20, 2), (vn(2026, 11, 20, 22), 30, 3),
        (vn(2026, 11, 28, 7), 40, None), (vn(2026, 10, 28, 7), 5, 1)]
for i, (t, ack, res) in enumerate(incs):
    db.execute("INSERT INTO incidents (agent, rule, category, severity, status, title, first_seen,"
               " last_seen, event_count, unit, kind, dedup_key, opened_us, acked_us, resolved_us)"
               " VALUES ('pc-a', 'r', 10, 4, ?, ?, ?, ?, 1, ?, 'rule', ?, ?, ?, ?)",
               ("resolved" if res else "acknowledged", "Sự cố %d" % i, t, t, U, "k%d" % i, t,
                t + ack * 60 * 10**6, t + res * H if res else 0))
db.commit()
# The expected figures (README "The periodic summary"; nearest-rank percentiles).
days = [(1 + (1 if d >= 11 else 0) + 0) for d in range(1, 31)]
pct = [100.0 * n / 3 for n in days]
def rank(v, p):
    v = sorted(v); return v[max(0, math.ceil(p / 100 * len(v)) - 1)]
acks = [a * 60 for t, a, r in incs[:4]]
ress = [r * 3600 for t, a, r in incs[:4] if r]
print("base 3")
print("mean %.1f" % (sum(pct) / 30))
print("last %.1f" % pct[-1])
print("min %.1f" % min(pct))
print("incidents 4")
print("ack %d %d %d" % (len(acks), rank(acks, 50), rank(acks, 90)))
print("resolve %d %d %d" % (len(ress), rank(ress, 50), rank(ress, 90)))
print("open 1")
print("never pc-c")
EOF

start_collector
V="$BUILD/vigilctl"
"$V" report summary --unit phuong-dong-hoa --period 2026-11 -o "$T/nov.csv" >"$T/v.log" 2>&1 ||
	fail "report summary (CSV) failed: $(cat "$T/v.log")"
# field NAME: the value of the CSV row whose first cell is NAME.
field() {
	"$PY" - "$T/nov.csv" "$1" <<'EOF'
import csv, sys
for row in csv.reader(open(sys.argv[1], encoding="utf-8")):
    if row and row[0] == sys.argv[2]:
        print(row[1]); break
EOF
}
num() { # NAME EXPECTED: equal to one decimal
	got=$(field "$1")
	"$PY" -c "import sys; sys.exit(0 if abs(float('$got'.replace(',', '.')) - float('$2')) < 0.051 else 1)" ||
		fail "$1: $got, expected $2"
}
want() { awk -v k="$1" '$1 == k { print $'"$2"' }' "$T/expected.txt"; }
num "Số máy theo danh mục" "$(want base 2)"
num "Tỷ lệ tuân thủ bình quân (%)" "$(want mean 2)"
num "Tỷ lệ tuân thủ ngày cuối kỳ (%)" "$(want last 2)"
num "Tỷ lệ tuân thủ thấp nhất (%)" "$(want min 2)"
num "Tổng số sự cố" "$(want incidents 2)"
num "Số sự cố đã tiếp nhận" "$(want ack 2)"
num "Thời gian tiếp nhận, trung vị (giây)" "$(want ack 3)"
num "Thời gian tiếp nhận, phân vị 90 (giây)" "$(want ack 4)"
num "Số sự cố đã xử lý xong" "$(want resolve 2)"
num "Thời gian xử lý, trung vị (giây)" "$(want resolve 3)"
num "Thời gian xử lý, phân vị 90 (giây)" "$(want resolve 4)"
num "Sự cố chưa xử lý xong cuối kỳ" "$(want open 2)"
grep -q "^\"pc-c\"," "$T/nov.csv" || fail "pc-c is not listed as never compliant"
! grep -q "^\"pc-[abx]\"," "$T/nov.csv" || fail "a compliant machine or another unit's is listed"
"$V" report summary --unit phuong-dong-hoa --period 2026-11 -o "$T/nov.pdf" >"$T/v.log" 2>&1 ||
	fail "report summary (PDF) failed: $(cat "$T/v.log")"
pdftotext -enc UTF-8 "$T/nov.pdf" - | grep -q "Tháng 11/2026" || fail "the PDF has no period"
"$V" report summary --unit phuong-dong-hoa --period 2026-Q4 -o "$T/q4.html" >/dev/null ||
	fail "a quarter's summary failed"
out=$("$V" report summary --period 2026-13 -o "$T/bad.csv" 2>&1) && fail "a bad period was accepted"
echo "$out" | grep -q "not a period" || fail "a bad period's error: $out"
out=$("$V" report summary --unit nobody --period 2026-11 -o "$T/none.csv" 2>&1) && fail "an empty unit was accepted"
[ ! -e "$T/none.csv" ] || fail "a refused summary left a file"

# Mailed on a schedule: November is over, so its summary goes at once, once.
mkdir -p "$T/mail"
"$PY" "$TOP/tests/integration/receivers/smtp_sink.py" --dir "$T/mail" --port-file "$T/smtp.port" \
	>"$T/smtp.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 20 "the SMTP server" test -s "$T/smtp.port"
stop_pid "$COLL_PID"
write_collector_conf 0 "$(profile 'summary_schedule = monthly
summary_to = thuongvu@donghoa.gov.vn, cntt@donghoa.gov.vn
summary_unit = phuong-dong-hoa
summary_format = pdf')
[notify]
smtp_url = smtp://127.0.0.1:$(cat "$T/smtp.port")
smtp_starttls = no
smtp_from = vigil@donghoa.gov.vn"
"$BUILD/vigil-collector" -n -f "$T/collector.conf" || fail "the schedule's configuration does not load"
# A renderer that fails: said in the log, nothing mailed or kept, the collector serves on.
cp "$T/collector.conf" "$T/good.conf"
sed -i "s|^renderer = .*|renderer = /bin/false|" "$T/collector.conf"
dirs=$(ls -d /tmp/vigil-summary.* 2>/dev/null | wc -l)
start_collector
wait_for 30 "the failed summary to be reported" grep -q "summary cannot be mailed: the renderer failed" \
	"$T/collector.$COLL_STARTS.log"
"$V" status >/dev/null || fail "the collector does not answer after a failed summary"
[ "$(db "select count(*) from report_mailings")" = 0 ] || fail "a failed summary was kept as mailed"
[ -z "$(ls "$T/mail")" ] || fail "a failed summary was mailed"
[ "$(ls -d /tmp/vigil-summary.* 2>/dev/null | wc -l)" = "$dirs" ] ||
	fail "the failed summary left its directory in /tmp"
stop_pid "$COLL_PID"
cp "$T/good.conf" "$T/collector.conf"
start_collector
wait_for 60 "the summary to be mailed" sh -c "ls '$T/mail' | grep -q eml"
"$PY" - "$T/mail" "$T/att.pdf" <<'EOF' || fail "the mail is not the summary with its PDF"
import email, email.policy, glob, json, sys
d, out = sys.argv[1:]
files = sorted(glob.glob(d + "/*.eml"))
assert len(files) == 1, files
m = email.message_from_bytes(open(files[0], "rb").read(), policy=email.policy.default)
assert "2026-11" in m["subject"], m["subject"]
env = json.load(open(files[0][:-4] + ".json"))
assert sorted(env["rcpt"] if "rcpt" in env else env["rcpt_tos"]) == ["cntt@donghoa.gov.vn", "thuongvu@donghoa.gov.vn"], env
atts = [p for p in m.iter_attachments()]
assert len(atts) == 1 and atts[0].get_content_type() == "application/pdf", atts
open(out, "wb").write(atts[0].get_content())
EOF
pdftotext -enc UTF-8 "$T/att.pdf" - | tr -s ' \n' '  ' >"$T/att.txt"
grep -q "Tháng 11/2026" "$T/att.txt" && grep -q "Ủy ban nhân dân phường Đông Hòa" "$T/att.txt" ||
	fail "the attached PDF is not November's summary"
[ "$(db "select count(*) from report_mailings where period = '2026-11'")" = 1 ] ||
	fail "the mailing is not kept"
# A restart does not mail it again.
stop_pid "$COLL_PID"
start_collector
"$V" status >/dev/null || fail "status after the restart"
wait_for 20 "the collector to have run its first pass" grep -q "listening" "$T/collector.$COLL_STARTS.log"
[ "$(ls "$T/mail" | grep -c eml)" = 1 ] || fail "the summary was mailed twice"
! grep -q "Making the 2026-11 summary" "$T/collector.$COLL_STARTS.log" || fail "the summary was made again after a restart"
pass "a generated month's figures as computed; mailed once as a PDF"
