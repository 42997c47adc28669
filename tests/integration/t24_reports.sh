# The official reports (issue 17): every shipped template, in the state's and
# the Party's document format, filled from a scripted incident (and the
# periodic ones from a generated month), opened by LibreOffice as a person
# would and read back from the PDF with its diacritics; a template re-saved
# by LibreOffice, and then split into runs as Word splits them, still fills;
# a missing profile field is an error, not a blank; hostile templates and
# data, a LibreOffice that hangs, and a renderer killed midway are bounded
# and reported, and leave nothing running.
. "$(dirname "$0")/lib.sh"
need soffice pdftotext pdftoppm pdffonts pdfinfo pdfimages python3
# LibreOffice and the renderer's worker run as nobody: they must reach what they run.
chmod 755 "$T"
R=$BUILD/vigil-report-render
TPL=$BUILD/reports
DATA=$TOP/tests/data/reports/incident.json
mkdir -p "$T/out" "$T/pdf" "$T/pages" "$T/lo"
"$BUILD/tests/report-demo" summary >"$T/summary.json" || fail "report-demo failed"

# text FILE.pdf: its text on one line, white space collapsed (a filled value
# may wrap anywhere).
text() {
	pdftotext -enc UTF-8 "$1" - | tr -s ' \t\n\r\f' '    '
}

# expect NAME TEXTFILE STRING...: every STRING is in the text.
expect() {
	_name=$1 _file=$2
	shift 2
	for _s in "$@"; do
		grep -qF -- "$_s" "$_file" || fail "$_name: the PDF has no \"$_s\""
	done
}

# 1. Every form in both formats, as DOCX and HTML, in one go each.
for fmt in state party; do
	for kind in notice initial closing breach halfyear summary; do
		data=$DATA
		case $kind in halfyear | summary) data=$T/summary.json ;; esac
		"$R" -T "$TPL" -o "$T/out/$kind-$fmt.docx" "$kind-$fmt" <"$data" 2>"$T/render.log" ||
			fail "$kind-$fmt: the renderer failed: $(cat "$T/render.log")"
		"$R" -T "$TPL" -o "$T/out/$kind-$fmt.html" "$kind-$fmt" <"$data" 2>"$T/render.log" ||
			fail "$kind-$fmt: no HTML: $(cat "$T/render.log")"
		[ ! -s "$T/render.log" ] || fail "$kind-$fmt: the renderer warned: $(cat "$T/render.log")"
	done
done

# 2. LibreOffice opens each DOCX and prints it to PDF, all twelve in one run.
timeout 300 soffice "-env:UserInstallation=file://$T/lo" --headless --norestore \
	--convert-to pdf --outdir "$T/pdf" "$T"/out/*.docx >"$T/soffice.log" 2>&1 ||
	fail "LibreOffice could not open the DOCX files: $(tail -n 3 "$T/soffice.log")"

mean=$(python3 -c 'import json,sys; print(("%.1f" % json.load(open(sys.argv[1]))["compliance"]["mean"]).replace(".", ","))' "$T/summary.json")
for fmt in state party; do
	for kind in notice initial closing breach halfyear summary; do
		pdf=$T/pdf/$kind-$fmt.pdf
		[ -s "$pdf" ] || fail "$kind-$fmt: LibreOffice made no PDF"
		text "$pdf" >"$T/$kind-$fmt.txt"
		f=$T/$kind-$fmt.txt
		expect "$kind-$fmt" "$f" "MẪU THAM KHẢO" "Ủy ban nhân dân phường Đông Hòa" \
			"ỦY BAN NHÂN DÂN PHƯỜNG ĐÔNG HÒA" "Nguyễn Thị Hằng" "ngày 05 tháng 12 năm 2026"
		if [ "$fmt" = state ]; then
			expect "$kind-$fmt" "$f" "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" "Độc lập - Tự do - Hạnh phúc" "Số: 27/"
		else
			expect "$kind-$fmt" "$f" "ĐẢNG CỘNG SẢN VIỆT NAM" "Số 27-"
		fi
		case $kind in
		notice | initial | closing | breach)
			expect "$kind-$fmt" "$f" "Dò mật khẩu SSH từ 203.0.113.7 trên 3 máy" "pc-ketoan-01" \
				"22:41 ngày 03/12/2026" "Lê Quốc Việt" "Chặn địa chỉ 203.0.113.7 trên tường lửa" \
				"quy tắc số 14" ;;
		esac
		case $kind in
		notice) expect "$kind-$fmt" "$f" "Có dấu hiệu tấn công dò mật khẩu có chủ đích" \
			"phiên mở shell <bash>" "cấp độ 2 theo Nghị định 85/2016/NĐ-CP" ;;
		initial) expect "$kind-$fmt" "$f" "Đề nghị Cục A05 hỗ trợ phân tích mã độc" \
			"Máy chủ may-chu-01 phải tạm ngừng dịch vụ 2 giờ" ;;
		closing) expect "$kind-$fmt" "$f" "Máy chủ mở cổng SSH ra Internet và dùng mật khẩu yếu" \
			"Không mở dịch vụ quản trị ra Internet" ;;
		breach) expect "$kind-$fmt" "$f" "Họ tên, số căn cước công dân" "khoảng 1.200 người" \
			"Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao" \
			"Dữ liệu có thể bị dùng để lừa đảo" ;;
		halfyear) expect "$kind-$fmt" "$f" "Tháng 11/2026" "$mean %" "Sự cố thử số" ;;
		summary) expect "$kind-$fmt" "$f" "Tháng 11/2026" "bình quân $mean %" "pc-04" \
			"chưa có dữ liệu tư thế" "Thay ổ cứng máy pc-04" ;;
		esac
	done
done

# Page numbers from page 2 on, none on page 1 (NĐ 30/2020).
[ "$(pdftotext -f 2 -l 2 "$T/pdf/notice-state.pdf" - | head -n 1)" = 2 ] || fail "page 2 has no page number"
pdftotext -f 1 -l 1 "$T/pdf/notice-state.pdf" - | head -n 1 | grep -q "MẪU THAM KHẢO" || fail "page 1 has a page number"

# Page 1 of each, as a person would look at it: not blank.
for doc in notice-state notice-party summary-state breach-party; do
	pdftoppm -png -r 60 -f 1 -l 1 "$T/pdf/$doc.pdf" "$T/pages/$doc" || fail "$doc: pdftoppm failed"
	pdftoppm -gray -r 30 -f 1 -l 1 "$T/pdf/$doc.pdf" "$T/pages/$doc-gray" || fail "$doc: pdftoppm failed"
	python3 - "$T/pages/$doc-gray-1.pgm" <<'PY' || fail "$doc: page 1 is blank"
import sys
data = open(sys.argv[1], 'rb').read()
# P5 width height maxval, then the pixels
parts = data.split(maxsplit=4)
pixels = parts[4]
dark = sum(1 for b in pixels if b < 128)
sys.exit(0 if dark > len(pixels) // 200 else 1)
PY
done
[ -n "${KEEP:-}" ] && echo "  ($TEST_NAME: pages in $T/pages)"

# 3. The renderer's own PDF: A4, every font embedded, the chart drawn.
"$R" -T "$TPL" -o "$T/direct.pdf" notice-state <"$DATA" 2>"$T/render.log" ||
	fail "no PDF from the renderer: $(cat "$T/render.log")"
"$R" -T "$TPL" -o "$T/summary.pdf" summary-party <"$T/summary.json" 2>"$T/render.log" ||
	fail "no summary PDF from the renderer: $(cat "$T/render.log")"
for pdf in direct summary; do
	pdfinfo "$T/$pdf.pdf" | grep -q "Page size:.*(A4)" || fail "$pdf.pdf is not A4: $(pdfinfo "$T/$pdf.pdf")"
	pdffonts "$T/$pdf.pdf" | awk 'NR > 2 && $(NF-4) != "yes" { bad = 1 } END { exit bad }' ||
		fail "$pdf.pdf has a font that is not embedded: $(pdffonts "$T/$pdf.pdf")"
	pdffonts "$T/$pdf.pdf" | grep -q LiberationSerif || fail "$pdf.pdf is not set in Times New Roman's metric twin"
done
text "$T/direct.pdf" >"$T/direct.txt"
expect direct "$T/direct.txt" "Dò mật khẩu SSH từ 203.0.113.7 trên 3 máy" "Ủy ban nhân dân phường Đông Hòa"
[ "$(pdfimages -list "$T/summary.pdf" | awk 'NR > 2' | wc -l)" -ge 1 ] ||
	fail "the summary PDF has no chart"
grep -q 'src="data:image/png;base64,iVBORw0KGgo' "$T/out/summary-state.html" ||
	fail "the summary HTML has no chart"
grep -qF 'phiên mở shell &lt;bash&gt;' "$T/out/notice-state.html" ||
	fail "the notice HTML does not carry the symptom, escaped"

# The summary as CSV: one row a day, the figures as computed.
"$R" -T "$TPL" -f csv -o "$T/summary.csv" summary.csv <"$T/summary.json" 2>"$T/render.log" ||
	fail "no CSV: $(cat "$T/render.log")"
python3 - "$T/summary.csv" "$T/summary.json" <<'PY' || fail "the CSV does not hold the summary's figures"
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], encoding='utf-8')))
data = json.load(open(sys.argv[2]))
days = [r for r in rows if len(r) == 3 and r[0].startswith('2026-11-')]
assert len(days) == 30, len(days)
assert float(days[13][2]) == data['compliance']['days'][13]['percent']
kv = {r[0]: r[1] for r in rows if len(r) == 2}
assert float(kv['Tỷ lệ tuân thủ bình quân (%)']) == data['compliance']['mean']
assert kv['Đơn vị'] == 'Ủy ban nhân dân phường Đông Hòa'
PY

# 4. A template re-saved by LibreOffice still fills; so does one whose tags a
# word processor then split over runs and spelling marks.
mkdir -p "$T/resaved"
timeout 120 soffice "-env:UserInstallation=file://$T/lo" --headless --norestore \
	--convert-to 'docx:MS Word 2007 XML' --outdir "$T/resaved" "$TPL/notice-state.docx" \
	"$TPL/summary-party.docx" >"$T/soffice.log" 2>&1 || fail "LibreOffice could not re-save the templates"
cmp -s "$TPL/notice-state.docx" "$T/resaved/notice-state.docx" && fail "LibreOffice did not rewrite the template"
python3 - "$T/resaved/notice-state.docx" "$T/split.docx" <<'PY' || fail "could not split the re-saved template's tags"
import re, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
zin = zipfile.ZipFile(src)
doc = zin.read('word/document.xml').decode('utf-8')
# Cut every "{{unit.name}}" and "{{incident.title}}" in three, as Word does
# when it marks a word misspelt or its formatting changes mid-tag.
n = 0
for tag in ('{{unit.name}}', '{{incident.title}}'):
    parts = doc.split(tag)
    n += len(parts) - 1
    doc = ('{{unit.</w:t></w:r><w:proofErr w:type="spellStart"/><w:r><w:rPr><w:b/></w:rPr><w:t>na'
           '</w:t></w:r><w:proofErr w:type="spellEnd"/><w:r><w:t>me}}').join(parts) if tag == '{{unit.name}}' else \
          ('{{incident.</w:t></w:r><w:r w:rsidR="00A1B2C3"><w:t>ti</w:t></w:r><w:r><w:t>tle}}').join(parts)
assert n >= 3, n
zout = zipfile.ZipFile(dst, 'w', zipfile.ZIP_DEFLATED)
for item in zin.infolist():
    zout.writestr(item, doc.encode('utf-8') if item.filename == 'word/document.xml' else zin.read(item.filename))
zout.close()
PY
for tpl in "$T/resaved/notice-state.docx" "$T/split.docx"; do
	"$R" -o "$T/refilled.pdf" "$tpl" <"$DATA" 2>"$T/render.log" ||
		fail "$(basename "$tpl"): a re-saved template does not fill: $(cat "$T/render.log")"
	text "$T/refilled.pdf" >"$T/refilled.txt"
	expect "$(basename "$tpl")" "$T/refilled.txt" "Dò mật khẩu SSH từ 203.0.113.7 trên 3 máy" \
		"Ủy ban nhân dân phường Đông Hòa thông báo" "pc-vanthu" "Nguyễn Thị Hằng"
	if grep -qF '{{' "$T/refilled.txt"; then fail "$(basename "$tpl"): a tag was left in the PDF"; fi
done
"$R" -o "$T/resaved-summary.html" "$T/resaved/summary-party.docx" <"$T/summary.json" 2>"$T/render.log" ||
	fail "the re-saved summary does not fill: $(cat "$T/render.log")"
grep -qF "pc-31" "$T/resaved-summary.html" || fail "the re-saved summary lost its table rows"

# 5. A missing profile field is a clear error, not a blank, and leaves no file.
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["unit"]["head"]["name"]; json.dump(d, open(sys.argv[2], "w"), ensure_ascii=False)' \
	"$DATA" "$T/nohead.json"
rc=0
"$R" -T "$TPL" -o "$T/nohead.docx" notice-state <"$T/nohead.json" 2>"$T/err.log" || rc=$?
[ "$rc" -eq 1 ] || fail "a missing field exited $rc, not 1"
grep -qF 'missing field "unit.head.name"' "$T/err.log" || fail "the error does not name the field: $(cat "$T/err.log")"
[ ! -e "$T/nohead.docx" ] || fail "a failed render left a file behind"
"$R" -T "$TPL" --list-fields initial-state >"$T/fields.txt" || fail "--list-fields failed"
grep -q "^fields.help_requested	required" "$T/fields.txt" || fail "--list-fields: $(cat "$T/fields.txt")"
grep -q "^.ip	optional	in incident.machines" "$T/fields.txt" || fail "--list-fields: $(cat "$T/fields.txt")"

# 6. Hostile templates and data: bounded, with the reason and the code.
# expect_fail CODE WORDS CMD...: CMD exits CODE within 60 s and says WORDS.
expect_fail() {
	_code=$1 _words=$2
	shift 2
	_start=$(date +%s)
	_rc=0
	"$@" >/dev/null 2>"$T/err.log" || _rc=$?
	[ "$_rc" -eq "$_code" ] || fail "$* exited $_rc, not $_code: $(cat "$T/err.log")"
	grep -qF -- "$_words" "$T/err.log" || fail "$* did not say \"$_words\": $(cat "$T/err.log")"
	[ $(($(date +%s) - _start)) -lt 60 ] || fail "$* took too long"
}
python3 - "$TOP/deploy/reports/docx/common" "$T" <<'PY'
import os, sys, zipfile
common, out = sys.argv[1], sys.argv[2]
def docx(name, body, extra=None):
    z = zipfile.ZipFile(os.path.join(out, name), 'w', zipfile.ZIP_DEFLATED)
    for root, _, files in os.walk(common):
        for f in files:
            p = os.path.join(root, f)
            z.write(p, os.path.relpath(p, common))
    z.writestr('word/document.xml', body)
    if extra: z.writestr(extra[0], extra[1])
    z.close()
loop = '{{#each incident.machines}}' * 3 + 'x' + '{{/each}}' * 3
docx('loops.docx', '<w:document xmlns:w="w"><w:body><w:p><w:r><w:t>%s</w:t></w:r></w:p></w:body></w:document>' % loop)
docx('bomb.docx', '<w:document xmlns:w="w"><w:body/></w:document>', ('word/media/bomb.bin', b'\0' * (64 << 20)))
docx('cut.docx', '<w:document xmlns:w="w"><w:body><w:p><w:r><w:t>x {{#each incident.machines}}</w:t></w:r></w:p>'
     '<w:p><w:r><w:t>{{/each}}</w:t></w:r></w:p></w:body></w:document>')
open(os.path.join(out, 'deep.json'), 'w').write('[' * 10000 + ']' * 10000)
open(os.path.join(out, 'garbage.docx'), 'wb').write(b'PK\x03\x04' + os.urandom(2000))
import json
d = json.load(open(os.path.join(os.environ.get('TOP', '.'), 'tests/data/reports/incident.json')))
d['incident']['machines'] = [{'name': 'pc-%06d' % i, 'ip': '10.0.0.1'} for i in range(60000)]
json.dump(d, open(os.path.join(out, 'many.json'), 'w'), ensure_ascii=False)
PY
expect_fail 4 "steps" sh -c "'$R' -o '$T/x.docx' '$T/loops.docx' <'$T/many.json'"
expect_fail 4 "unpacks to more than" sh -c "'$R' -o '$T/x.docx' '$T/bomb.docx' <'$DATA'"
expect_fail 3 "must stand alone in its own paragraph" sh -c "'$R' -o '$T/x.docx' '$T/cut.docx' <'$DATA'"
expect_fail 3 "not a DOCX" sh -c "'$R' -o '$T/x.docx' '$T/garbage.docx' <'$DATA'"
expect_fail 4 "nested deeper than" sh -c "'$R' -T '$TPL' -o '$T/x.docx' notice-state <'$T/deep.json'"
expect_fail 4 "larger than" sh -c "'$R' -T '$TPL' --max-output 1 -o '$T/x.docx' notice-state <'$T/many.json'"
expect_fail 3 "cannot open the template" sh -c "'$R' -T '$TPL' -o '$T/x.docx' no-such-form <'$DATA'"
expect_fail 5 "not installed" sh -c "'$R' -T '$TPL' --soffice /nonexistent/soffice -o '$T/x.pdf' notice-state <'$DATA'"
# LibreOffice under the same memory cap: it fails, and that is said.
expect_fail 5 "the memory limit is 150 MB" sh -c "'$R' -T '$TPL' --memory 150 -o '$T/x.pdf' notice-state <'$DATA'"
[ ! -e "$T/x.docx" ] && [ ! -e "$T/x.pdf" ] || fail "a failed render left a file behind"

# A LibreOffice that hangs: stopped at the time limit, nothing left running.
mkdir -p "$T/fake"
chmod 1777 "$T/fake"
cat >"$T/fake/soffice" <<EOS
#!/bin/sh
echo \$\$ >"$T/fake/pid.\$\$"
exec sleep 600
EOS
chmod 755 "$T/fake/soffice"
expect_fail 4 "time limit" sh -c "'$R' -T '$TPL' --timeout 3 --soffice '$T/fake/soffice' -o '$T/x.pdf' notice-state <'$DATA'"
for f in "$T"/fake/pid.*; do
	pid=$(cat "$f")
	wait_for 10 "the hung LibreOffice $pid to be gone" sh -c "! kill -0 $pid"
	rm -f "$f"
done
# The renderer killed midway (as the collector would on shutdown): its
# LibreOffice goes with it.
"$R" -T "$TPL" --timeout 120 --soffice "$T/fake/soffice" -o "$T/x.pdf" notice-state <"$DATA" 2>/dev/null &
rpid=$!
PIDS="$PIDS $rpid"
wait_for 30 "the renderer to start LibreOffice" sh -c "ls '$T/fake' | grep -q pid"
kill -KILL "$rpid"
rc=0
wait "$rpid" || rc=$?
[ "$rc" -eq 137 ] || fail "the killed renderer exited $rc"
pid=$(cat "$T"/fake/pid.*)
wait_for 10 "LibreOffice $pid to die with the renderer" sh -c "! kill -0 $pid"
[ ! -e "$T/x.pdf" ] || fail "a killed render left a file behind"
pass "12 forms in two formats read back from PDF; re-saved and split templates fill; limits hold"
