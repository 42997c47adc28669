# The official forms made by the collector and vigilctl (issue 17, part 2): a
# scripted incident (an SSH brute force on a real agent), the unit profile of
# the collector's configuration, the fields the operator fills with vigilctl
# report fill (audited); then each form (notice, initial, closing, breach) in
# both document formats (the unit's format switched from state to party) as
# PDF through vigil-report-render, run by vigilctl, and read back with
# pdftotext: every filled field is there with its diacritics. A profile field
# missing, a field not filled, a viewer filling, and a bad field are refused
# with a sentence naming what is wrong, and leave no file.
. "$(dirname "$0")/lib.sh"
need soffice pdftotext
# LibreOffice and the renderer's worker run as nobody: they must reach what they run.
chmod 755 "$T"

pki_setup pc-ketoan
profile_of() {
	cat <<EOF

[unit]
name = Ủy ban nhân dân phường Đông Hòa
parent = Ủy ban nhân dân thành phố Dĩ An
short = UBND
place = Đông Hòa
address = Số 1 đường Nguyễn Huệ, khu phố Tân Hòa
head_name = Nguyễn Thị Hằng
head_position = Chủ tịch
sign_for = TM. ỦY BAN NHÂN DÂN
it_name = Lê Quốc Việt
it_position = Công chức Văn phòng - Thống kê
it_phone = 0274 3 123 456
it_email = cntt@donghoa.gov.vn
format = $1

[system qlvb]
name = Hệ thống quản lý văn bản và điều hành
level = 2

[recipient police]
name = Công an phường Đông Hòa

[report]
shipped = $BUILD/reports
holidays = $BUILD/reports/holidays.conf
renderer = $BUILD/vigil-report-render
EOF
}
# The chain: one officer, told through a command (its calls are counted).
R="$TOP/tests/integration/receivers"
cat >"$T/escalation.conf" <<EOF
[contact it-officer]
name = IT officer
command = /bin/sh $R/exec_sink.sh write $T/told.json
language = vi

[contact head-of-unit]
name = Head of unit
command = /bin/sh $R/exec_sink.sh write $T/head.json
language = vi

[chain default]
level1 = it-officer
level1_wait = 1h
level2 = head-of-unit

[route default]
min_severity = low
chain = default
group_by = incident
group_wait = 0s
EOF
profile() {
	echo "escalation = $T/escalation.conf"
	profile_of "$@"
}
write_collector_conf 0 "$(profile state)"
"$BUILD/vigil-collector" -n -f "$T/collector.conf" || fail "the configuration with a unit profile does not load"
start_collector

: >"$T/auth.log"
write_agent_conf pc-ketoan "$PORT" "$T/auth.log"
start_agent pc-ketoan
wait_for 20 "the agent to say hello" grep -q "says hello" "$T/collector.1.log"
for i in 1 2 3 4 5 6; do
	echo "Dec  3 22:41:0$i pc sshd[100$i]: Failed password for root from 203.0.113.7 port 5000$i ssh2" >>"$T/auth.log"
done
wait_for 20 "the brute force to open an incident" sh -c "[ \$(sqlite3 '$T/vigil.db' 'select count(*) from incidents') -ge 1 ]"
ID=$(db "select id from incidents order by id limit 1")
V="$BUILD/vigilctl"

# What the operator adds, each audited.
"$V" report fill "$ID" assessment "Tấn công dò mật khẩu có chủ đích vào máy kế toán" >/dev/null ||
	fail "report fill failed"
"$V" report fill "$ID" harm "Máy pc-ketoan phải ngừng làm việc hai giờ" >/dev/null
"$V" report fill "$ID" measures "Chặn địa chỉ 203.0.113.7 trên tường lửa" >/dev/null
"$V" report fill "$ID" help_requested "Đề nghị Công an phường hỗ trợ truy vết" >/dev/null
"$V" report fill "$ID" cause "Mật khẩu yếu, cổng SSH mở" >/dev/null
"$V" report fill "$ID" result "Đã khôi phục hoạt động bình thường" >/dev/null
"$V" report fill "$ID" data_types "Họ tên, số căn cước công dân" >/dev/null
"$V" report fill "$ID" data_subjects "khoảng 1.200 người" >/dev/null
"$V" report fill "$ID" consequences "Dữ liệu có thể bị dùng để lừa đảo" >/dev/null
"$V" incident note "$ID" "Đã đổi mật khẩu tài khoản root" >/dev/null || fail "incident note failed"
n=$(db "select count(*) from audit where action = 'report-fill' and incident = $ID")
[ "$n" = 9 ] || fail "$n audit records of report fill, not 9"
"$V" audit verify >/dev/null || fail "the audit chain does not verify after report fill"

# Reportable: its deadlines start. The initial report is near at once: the
# chain is told again through the escalation engine (a manual step, audited).
"$V" incident reportable "$ID" --kind notice,initial >"$T/reportable.txt" ||
	fail "incident reportable failed"
grep -q "^notice " "$T/reportable.txt" && grep -q "^initial .*near" "$T/reportable.txt" ||
	fail "reportable does not list the deadlines: $(cat "$T/reportable.txt")"
wait_for 20 "the near initial report to climb the chain" sh -c \
	"[ \$(sqlite3 '$T/vigil.db' \"select count(*) from outbox o join outbox_incidents x on x.outbox_id = o.id where x.incident_id = $ID and o.manual = 1\") -ge 1 ]"
[ "$(db "select count(*) from audit where incident = $ID and action = 'deadline-near'")" = 1 ] ||
	fail "the near deadline is not audited once"
"$V" incidents >"$T/queue.txt"
grep -q "\[initial .* near\]" "$T/queue.txt" || fail "the queue does not show the deadline: $(cat "$T/queue.txt")"
"$V" incident show "$ID" >"$T/show.txt"
grep -q "notice due" "$T/show.txt" && grep -q "initial due" "$T/show.txt" ||
	fail "incident show has no deadlines: $(cat "$T/show.txt")"
"$V" report submitted "$ID" initial --to "Công an phường Đông Hòa" --ref "27/BC-UBND" >"$T/sub.txt" ||
	fail "report submitted failed"
grep -q "^initial .*submitted.*Công an phường Đông Hòa.*27/BC-UBND" "$T/sub.txt" ||
	fail "submitted is not shown: $(cat "$T/sub.txt")"
"$V" report submitted "$ID" initial --to x --ref y 2>/dev/null && fail "a report was submitted twice"
[ "$(db "select count(*) from audit where incident = $ID and action = 'report-submitted'")" = 1 ] ||
	fail "report submitted is not audited once"
"$V" audit verify >/dev/null || fail "the audit chain does not verify after the deadlines"

# Refusals: a field the forms do not have; a value with a tab; no -o; an incident that is not.
out=$("$V" report fill "$ID" colour "đỏ" 2>&1) && fail "an unknown field was accepted"
echo "$out" | grep -q "assessment" || fail "an unknown field's error does not list the fields: $out"
out=$("$V" report notice 999 -o "$T/x.pdf" 2>&1) && fail "a form of no incident was made"
echo "$out" | grep -q "no incident 999" || fail "no incident: $out"
"$V" report notice "$ID" 2>/dev/null && fail "a form without -o was accepted"

# The closing form needs the incident resolved: not yet, so resolved_at is missing.
out=$("$V" report closing "$ID" -o "$T/early.pdf" 2>&1) && fail "a closing report of an open incident was made"
echo "$out" | grep -q "resolved_at" || fail "the early closing report does not name resolved_at: $out"
[ ! -e "$T/early.pdf" ] || fail "a failed form left a file"
"$V" incident resolve "$ID" --as true_positive >/dev/null || fail "resolve failed"

# text FILE.pdf: its text on one line (a filled value may wrap anywhere).
text() {
	pdftotext -enc UTF-8 "$1" - | tr -s ' \t\n\r\f' '    '
}
forms() {
	for form in notice initial closing breach; do
		out="$T/$form-$1.pdf"
		"$V" report "$form" "$ID" --format pdf -o "$out" >"$T/vigilctl.log" 2>&1 ||
			fail "report $form ($1) failed: $(cat "$T/vigilctl.log")"
		[ -s "$out" ] || fail "report $form ($1) wrote nothing"
		text "$out" >"$T/$form-$1.txt"
		for s in "Ủy ban nhân dân phường Đông Hòa" "Nguyễn Thị Hằng" "Lê Quốc Việt" \
		    "cntt@donghoa.gov.vn" "Công an phường Đông Hòa" "pc-ketoan" "VG-$ID"; do
			case $form:$s in breach:VG-*) continue ;; esac
			grep -qF -- "$s" "$T/$form-$1.txt" || fail "$form ($1): the PDF has no \"$s\""
		done
	done
	for s in "Tấn công dò mật khẩu có chủ đích vào máy kế toán" "Đã đổi mật khẩu tài khoản root"; do
		grep -qF -- "$s" "$T/notice-$1.txt" || fail "notice ($1): no \"$s\""
	done
	for s in "Máy pc-ketoan phải ngừng làm việc hai giờ" "Đề nghị Công an phường hỗ trợ truy vết"; do
		grep -qF -- "$s" "$T/initial-$1.txt" || fail "initial ($1): no \"$s\""
	done
	for s in "Mật khẩu yếu, cổng SSH mở" "Đã khôi phục hoạt động bình thường"; do
		grep -qF -- "$s" "$T/closing-$1.txt" || fail "closing ($1): no \"$s\""
	done
	for s in "Họ tên, số căn cước công dân" "khoảng 1.200 người" "Dữ liệu có thể bị dùng để lừa đảo"; do
		grep -qF -- "$s" "$T/breach-$1.txt" || fail "breach ($1): no \"$s\""
	done
}
forms state
grep -qF "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" "$T/notice-state.txt" ||
	fail "the state's format has no national heading"

# The Party's format: the same incident, the profile's format switched.
stop_pid "$COLL_PID"
write_collector_conf 0 "$(profile party)"
start_collector
forms party
grep -qF "ĐẢNG CỘNG SẢN VIỆT NAM" "$T/notice-party.txt" || fail "the Party's format has no Party heading"
# DOCX and HTML too.
"$V" report notice "$ID" -o "$T/notice.docx" >/dev/null || fail "no DOCX"
"$V" report notice "$ID" -o "$T/notice.html" >/dev/null || fail "no HTML"
grep -qF "Nguyễn Thị Hằng" "$T/notice.html" || fail "the HTML has no head of unit"

# A profile field missing is an error naming the key, and leaves no file.
stop_pid "$COLL_PID"
write_collector_conf 0 "$(profile state | grep -v '^head_name')"
start_collector
out=$("$V" report notice "$ID" -o "$T/nohead.pdf" 2>&1) && fail "a form without the head of unit was made"
echo "$out" | grep -q "unit.head.name" && echo "$out" | grep -q "head_name" ||
	fail "the missing profile field is not named: $out"
[ ! -e "$T/nohead.pdf" ] || fail "a refused form left a file"

# A field not filled is named, with the command that fills it.
db "delete from report_fields where name = 'harm'"
stop_pid "$COLL_PID"
write_collector_conf 0 "$(profile state)"
start_collector
out=$("$V" report initial "$ID" -o "$T/noharm.pdf" 2>&1) && fail "an initial report without harm was made"
echo "$out" | grep -q "report fill $ID harm" || fail "the missing field is not named with its command: $out"
pass "4 forms x 2 formats as PDF with every filled field; refusals named"
