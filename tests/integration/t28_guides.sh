# The guides for people (issue 16): the Vietnamese installation and operator
# guides (docs/vi) and the one-page printable guides per role (docs/guides,
# Vietnamese and English). `make guides` prints every guide with LibreOffice;
# each PDF is one A4 page with its fonts embedded, set in Liberation or DejaVu,
# and its Vietnamese text comes back from the PDF with its diacritics. Every
# `vigilctl` command line the guides quote is one the real vigilctl accepts
# (parsed by it, against a socket that does not exist: a renamed command or
# option is a usage error, exit status 2), every option quoted for vigil-agent
# and vigil-collector is in their usage, and the Markdown guides' links
# resolve. The checker is first shown to catch planted mistakes.
. "$(dirname "$0")/lib.sh"
need soffice pdfinfo pdffonts pdftotext pdftoppm python3 make
G=$TOP/docs/guides
VI=$TOP/docs/vi

# 1. Every role has its page in both languages; a page is self-contained
# (no script, nothing fetched: it is printed and mailed as it is).
roles="it-officer operator official"
for r in $roles; do
	for l in vi en; do
		[ -f "$G/$r-$l.html" ] || fail "docs/guides/$r-$l.html is missing"
	done
done
for f in "$G"/*.html; do
	if grep -Eiq '<script|<link|<iframe|<object|<embed|<img|@import|url\(|src=|href=|on[a-z]+=' "$f"; then
		fail "$(basename "$f") refers to something outside itself or runs a script: $(grep -Eion '<script|<link|<iframe|<object|<embed|<img|@import|url\(|src=|href=|on[a-z]+=' "$f" | head -n 3)"
	fi
	grep -q '@page' "$f" || fail "$(basename "$f") has no print CSS (@page)"
done

# 2. make guides, as a person runs it, into a build directory of its own.
timeout 600 make --no-print-directory -C "$TOP" BUILD="$T/b" guides >"$T/make.log" 2>&1 ||
	fail "make guides failed: $(tail -n 5 "$T/make.log")"

# text FILE.pdf: its text on one line, white space collapsed.
text() {
	pdftotext -enc UTF-8 "$1" - | tr -s ' \t\n\r\f' '    '
}

# The labels of the notification mail, as the catalog writes them: the
# officials' guide teaches them, so it must say what the mail says.
labels=$(python3 - "$TOP/po/vi.po" <<'PY'
import re, sys
po = open(sys.argv[1], encoding='utf-8').read()
for msgid in ('Incident:', 'Severity:', 'Category:', 'Unit:', 'Machine:', 'Escalation:',
              'immediate notice (mandatory)', 'HIGH', 'CRITICAL', 'Cyber attack'):
    m = re.search(r'^msgid "' + re.escape(msgid) + r'"\nmsgstr "(.+)"$', po, re.M)
    if not m:
        sys.exit('po/vi.po has no single-line entry for "%s"' % msgid)
    print(m.group(1).rstrip(':'))
PY
) || fail "cannot read the notification's labels: $labels"

for r in $roles; do
	for l in vi en; do
		n=$r-$l
		pdf=$T/b/guides/$n.pdf
		[ -s "$pdf" ] || fail "make guides made no $n.pdf"
		pdfinfo "$pdf" >"$T/$n.info"
		grep -Eq '^Pages: +1$' "$T/$n.info" || fail "$n.pdf is not one page: $(grep Pages "$T/$n.info")"
		grep -Eq '^Page size:.*\(A4\)' "$T/$n.info" || fail "$n.pdf is not A4: $(grep 'Page size' "$T/$n.info")"
		pdffonts "$pdf" >"$T/$n.fonts"
		awk 'NR > 2 && $(NF-4) != "yes" { bad = 1 } END { exit bad }' "$T/$n.fonts" ||
			fail "$n.pdf has a font that is not embedded: $(cat "$T/$n.fonts")"
		# Liberation and DejaVu (every Vietnamese letter); OpenSymbol is
		# LibreOffice's own, for list bullets. Any other is a fallback.
		awk 'NR > 2 { sub(/^[A-Z]+\+/, "", $1); if ($1 !~ /^(Liberation|DejaVu|OpenSymbol)/) { print $1; bad = 1 } }
			END { exit bad }' "$T/$n.fonts" >"$T/$n.other" ||
			fail "$n.pdf uses a font other than Liberation or DejaVu: $(cat "$T/$n.other")"
		text "$pdf" >"$T/$n.txt"
		# Page 1 as a person sees it: not blank.
		pdftoppm -gray -r 50 -f 1 -l 1 "$pdf" "$T/$n" || fail "$n: pdftoppm failed"
		python3 - "$T/$n-1.pgm" <<'PY' || fail "$n.pdf: page 1 is blank"
import sys
data = open(sys.argv[1], 'rb').read()
pixels = data.split(maxsplit=4)[4]
sys.exit(0 if sum(1 for b in pixels if b < 128) > len(pixels) // 100 else 1)
PY
	done
done

# expect NAME STRING...: the PDF's text holds every STRING exactly.
expect() {
	_n=$1
	shift
	for _s in "$@"; do
		grep -qF -- "$_s" "$T/$_n.txt" || fail "$_n.pdf has no \"$_s\""
	done
}
expect it-officer-vi "Hướng dẫn cho cán bộ phụ trách CNTT" "Thiết bị lưu trữ USB" \
	"Cất bản sao ca.key trong tủ có khóa" "mẫu nhận diện cũ" "Không bao giờ" \
	"vigilctl pki issue /etc/vigil/pki" "Công an phường"
expect operator-vi "Hướng dẫn cho người trực" "Xác nhận đã tiếp nhận" "Ban Thường vụ Đảng ủy" \
	"Văn phòng Đảng ủy" "vigilctl incident note 12 \"Đã gọi phòng Kế toán\"" "không tắt máy" \
	"im lặng bất thường"
expect official-vi "Khi anh/chị nhận được thông báo sự cố" "Ban Thường vụ Đảng ủy" "xác nhận" \
	"UBND phường" "Công an phường" "bí mật nhà nước" "Chỉ thị 57-CT/TW" "Thủ trưởng đơn vị"
echo "$labels" | while IFS= read -r s; do
	grep -qF -- "$s" "$T/official-vi.txt" || fail "official-vi.pdf does not teach the mail's \"$s\""
done
expect it-officer-en "Guide for the IT officer" "Keep a copy of ca.key in a locked cabinet" \
	"vigilctl pki issue /etc/vigil/pki"
expect operator-en "Guide for the operator on duty" "Acknowledge" "Standing Committee" "do not switch it off"
expect official-en "When you receive an incident notification" "Standing Committee" "state secrets" \
	"ward Police" "immediate notice (mandatory)"

# 3. The command lines and links of the guides.
cat >"$T/check.py" <<'PY'
"""check.py VIGILCTL AGENT COLLECTOR SCRATCH FILE...: every command line the
files quote names a command and options its program accepts; every relative
link of a Markdown file resolves (file and #anchor)."""
import html, os, re, shlex, subprocess, sys

vigilctl, agent, collector, scratch = sys.argv[1:5]
files = sys.argv[5:]
links_only = files[:1] == ['--links-only']
if links_only:
    files = files[1:]
errors = []
checked = 0


def usage(prog, *args):
    r = subprocess.run([prog, *args], capture_output=True, text=True)
    return r.stdout + r.stderr


ctl_usage = usage(vigilctl, '--help')
prog_usage = {'vigil-agent': usage(agent, '--help'), 'vigil-collector': usage(collector, '--help')}


def word_in(word, text):
    return re.search(r'(?<![\w-])' + re.escape(word) + r'(?![\w-])', text) is not None


def commands(path):
    """(line, text) of every vigilctl / vigil-agent / vigil-collector command quoted."""
    src = open(path, encoding='utf-8').read()
    spans = []
    if path.endswith('.html'):
        for m in re.finditer(r'<code>(.*?)</code>', src, re.S):
            spans.append((src.count('\n', 0, m.start()) + 1, html.unescape(m.group(1))))
    else:
        def fence(m):
            start = src.count('\n', 0, m.start()) + 1
            for i, line in enumerate(m.group(1).split('\n')):
                spans.append((start + 1 + i, line))
            return '\n' * m.group(0).count('\n')
        # Fences may be indented (a block inside a numbered step).
        rest = re.sub(r'^[ \t]*```[^\n]*\n(.*?)^[ \t]*```', fence, src, flags=re.S | re.M)
        for line_no, line in enumerate(rest.split('\n'), 1):
            if line.startswith('    ') and not line.lstrip().startswith(('-', '|', '`')) \
                    and re.match(r'\s+vigil', line):
                spans.append((line_no, line))
        for m in re.finditer(r'`([^`]+)`', rest):
            spans.append((rest.count('\n', 0, m.start()) + 1, m.group(1)))
    for line_no, s in spans:
        s = ' '.join(s.split())
        if re.match(r'(vigilctl|vigil-agent|vigil-collector)( |$)', s):
            yield line_no, s


def tokens(s):
    try:
        lex = shlex.shlex(s, posix=True, punctuation_chars='|&;<>')
        lex.whitespace_split = True
        lex.commenters = '#'
        toks = list(lex)
    except ValueError as e:
        return None, str(e)
    out = []
    for t in toks:
        if t and set(t) <= set('|&;<>'):
            break
        out.append(t)
    return out, None


for path in [] if links_only else files:
    for line_no, s in commands(path):
        where = '%s:%d: %s' % (os.path.relpath(path), line_no, s)
        toks, err = tokens(s)
        if toks is None:
            errors.append('%s: cannot be read as a command line (%s)' % (where, err))
            continue
        prog, args = toks[0], toks[1:]
        if prog != 'vigilctl':
            for a in args:
                if not a.startswith('-'):
                    continue
                opts = [a] if a.startswith('--') else ['-' + c for c in a[1:]]
                for o in opts:
                    if not word_in(o, prog_usage[prog]):
                        errors.append('%s: %s has no option %s in its usage' % (where, prog, o))
            checked += 1
            if os.environ.get('CHECK_VERBOSE'):
                print('ok ' + where, file=sys.stderr)
            continue
        if not args:
            continue  # the program's name alone, in a sentence
        words = [a for a in args if not a.startswith('-')]
        opts = [a for a in args if a.startswith('--')]
        cmd = words[0] if words else ''
        if not word_in(cmd, ctl_usage):
            errors.append('%s: vigilctl has no command "%s" in its usage' % (where, cmd))
            continue
        if cmd in ('incident', 'pki', 'audit', 'escalation'):
            sub = words[1] if len(words) > 1 else ''
            if not word_in(sub, ctl_usage):
                errors.append('%s: vigilctl has no "%s %s" in its usage' % (where, cmd, sub))
                continue
        for o in opts:
            if not word_in(o.split('=')[0], ctl_usage):
                errors.append('%s: vigilctl has no option %s in its usage' % (where, o))
        if cmd == 'pki':
            # Made for real, in a scratch directory: init on an empty one,
            # issue under a CA of its own.
            d = os.path.join(scratch, 'pki%d' % checked)
            a = [x.replace('/etc/vigil/pki', d) for x in args]
            if a[1] == 'issue':
                r = subprocess.run([vigilctl, 'pki', 'init', d], capture_output=True, text=True)
                if r.returncode != 0:
                    errors.append('%s: vigilctl pki init %s failed: %s' % (where, d, r.stderr.strip()))
                    continue
            r = subprocess.run([vigilctl, *a], capture_output=True, text=True)
            if r.returncode != 0:
                errors.append('%s: exit status %d: %s' % (where, r.returncode, r.stderr.strip()))
        else:
            # Parsed whole by vigilctl, which then finds no collector (3); a
            # mistake in the line is a usage error (2) before that.
            r = subprocess.run([vigilctl, '-s', os.path.join(scratch, 'no.sock'), *args],
                               capture_output=True, text=True)
            if r.returncode != 3:
                errors.append('%s: vigilctl says (exit status %d): %s'
                              % (where, r.returncode, r.stderr.strip()))
        checked += 1
        if os.environ.get('CHECK_VERBOSE'):
            print('ok ' + where, file=sys.stderr)


def slug(heading):
    s = re.sub(r'[^\w\- ]', '', heading.strip().lower())
    return s.replace(' ', '-')


def anchors(path):
    text = re.sub(r'^[ \t]*```.*?^[ \t]*```', '', open(path, encoding='utf-8').read(),
                  flags=re.S | re.M)
    return {slug(m.group(1)) for m in re.finditer(r'^#{1,6}\s+(.+?)\s*#*$', text, re.M)}


links = 0
for path in files:
    if not path.endswith('.md'):
        continue
    text = re.sub(r'^[ \t]*```.*?^[ \t]*```', '', open(path, encoding='utf-8').read(),
                  flags=re.S | re.M)
    text = re.sub(r'`[^`]*`', '', text)
    for m in re.finditer(r'\[[^\]]*\]\(([^)\s]+)\)', text):
        target = m.group(1)
        if re.match(r'[a-z]+:', target):
            continue
        links += 1
        where = '%s: link (%s)' % (os.path.relpath(path), target)
        file_part, _, anchor = target.partition('#')
        dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
        if not os.path.exists(dest):
            errors.append('%s: %s does not exist' % (where, os.path.relpath(dest)))
        elif anchor and (not dest.endswith('.md') or anchor not in anchors(dest)):
            errors.append('%s: %s has no heading #%s' % (where, os.path.relpath(dest), anchor))

for e in errors:
    print(e)
print('checked %d command lines and %d links' % (checked, links), file=sys.stderr)
sys.exit(1 if errors else 0)
PY
mkdir -p "$T/scratch" "$T/planted"
check() {
	python3 "$T/check.py" "$BUILD/vigilctl" "$BUILD/vigil-agent" "$BUILD/vigil-collector" "$T/scratch" "$@"
}

# The checker catches what it is for: a command, a subcommand and an option
# that do not exist, a wrong argument, an agent option that does not exist,
# a missing file and a missing heading.
cat >"$T/planted/bad.md" <<'EOF'
# Thử nghiệm

1. `vigilctl incidents --severty high`
2. `vigilctl incident acknowledge 12`
3. `vigilctl incident ack N`
4. `vigilctl forms fill 12 harm "x"`

```sh
vigil-agent --check-everything -f /etc/vigil/agent.conf
```

Xem [mục 9](#9-không-có) và [tệp khác](KHONG-CO.md).
EOF
if check "$T/planted/bad.md" >"$T/planted.out" 2>&1; then
	fail "the checker passed planted mistakes: $(cat "$T/planted.out")"
fi
for want in "--severty" "acknowledge" "incident ack N" "vigilctl forms fill 12" "--check-everything" \
	"#9-không-có" "KHONG-CO.md"; do
	grep -qF -- "$want" "$T/planted.out" || fail "the checker missed the planted \"$want\": $(cat "$T/planted.out")"
done

# The guides themselves, and the README's links into them.
check "$VI"/*.md "$G"/*.html >"$T/check.out" 2>"$T/check.err" ||
	fail "the guides quote what the programs do not accept:
$(cat "$T/check.out")"
n=$(sed -n 's/^checked \([0-9]*\) command lines and \([0-9]*\) links$/\1 \2/p' "$T/check.err")
set -- $n
[ "${1:-0}" -ge 60 ] || fail "only ${1:-0} command lines found in the guides: the extraction is broken ($(cat "$T/check.err"))"
[ "${2:-0}" -ge 15 ] || fail "only ${2:-0} links found in the guides: the extraction is broken"
sed -n '/^## Tiếng Việt/,/^## [^T]/p' "$TOP/README.md" >"$T/README-vi.md"
for f in docs/vi/CAI-DAT.md docs/vi/VAN-HANH.md docs/guides "make guides"; do
	grep -qF "$f" "$T/README-vi.md" || fail "README.md's \"Tiếng Việt\" section does not mention $f"
done
check --links-only "$TOP/README.md" >"$T/readme.out" 2>&1 || fail "README.md: $(cat "$T/readme.out")"
pass "6 guides, one A4 page each, fonts embedded, Vietnamese read back; $1 command lines and $2 links checked"
