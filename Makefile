# Vigil — one non-recursive GNU Makefile.
#
#   make            build the three programs into $(BUILD)
#   make test       install missing packages, build, run every test
#   make demo       install missing packages, build, run the loopback demo
#   make bench      run the benchmarks (not part of make test)
#   make fuzz       build the libFuzzer targets with clang
#   make windows-deps  build the Windows libraries (mingw-w64) into their cache
#   make windows   vigil-agent.exe for x86_64 and i686 (mingw-w64), in build/windows/ARCH
#   make po-update  bring po/vi.po and po/en.po up to the sentences the sources mark
#   make guides     the one-page printable guides (docs/guides/*.html) as PDF in $(BUILD)/guides
#   V=1             show the full commands; SANITIZE=address,undefined; WERROR=1
#   PLATFORM=linux  the folders of platform code built (agent/linux, common/linux)

BUILD    ?= build
CC       ?= cc
PREFIX   ?= /usr/local
SANITIZE ?=
WERROR   ?= 0

PKGS := libevent libevent_openssl libprotobuf-c sqlite3 openssl libcurl
# The agent alone reads the journal (libsystemd) and runs PCRE2 rules.
AGENT_PKGS := libpcre2-8 libsystemd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(AGENT_PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
AGENT_LIBS := $(shell pkg-config --libs $(AGENT_PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wcast-qual -Wformat=2 -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN += -Werror
endif

CFLAGS  ?= -O2 -g
ALL_CFLAGS = $(CFLAGS) -pthread -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude -isystem $(BUILD)/gen $(PKG_CFLAGS) -MMD -MP
LDLIBS  += $(PKG_LIBS) -lm -pthread
ifneq ($(SANITIZE),)
# Undefined behaviour stops the program, as an ASan error does: a test cannot pass over it.
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

PROTO_C := $(BUILD)/gen/vigil.pb-c.c
PROTO_H := $(BUILD)/gen/vigil.pb-c.h

# The platform whose code is built: each has its files in a folder of its own
# (common/linux, agent/linux); everything else is the portable core.
PLATFORM      ?= linux
COMMON_SRC    := $(wildcard common/*.c common/$(PLATFORM)/*.c)
AGENT_MAIN    := agent/$(PLATFORM)/main.c
AGENT_SRC     := $(filter-out $(AGENT_MAIN),$(wildcard agent/*.c agent/$(PLATFORM)/*.c))
VIGILCTL_SRC  := $(wildcard collector/vigilctl*.c)
COLLECTOR_SRC := $(filter-out collector/main.c $(VIGILCTL_SRC),$(wildcard collector/*.c))
UNIT_SRC      := $(wildcard tests/unit/test_*.c)
BENCH_SRC     := tests/bench/bench.c
SCAN_SRC      := $(wildcard tests/bench/scan.c)
WINRULES_SRC  := tests/bench/winrules.c
NOISE_SRC     := tests/bench/noise.c
FUZZ_SRC      := $(wildcard tests/fuzz/fuzz_*.c)

# The Windows agent (make windows): the same core, built with mingw-w64 for
# WIN_ARCH against the libraries of deploy/windows/build-deps.sh's cache, with
# agent/windows and common/windows as the platform. libvigil leaves out what
# only the collector and vigilctl use (the CA's tooling, the JSON reader, the zone).
ifeq ($(PLATFORM),windows)
WIN_ARCH   ?= x86_64
WIN_CACHE  ?= $(or $(VIGIL_WINDOWS_CACHE),/var/cache/vigil-windows)/$(WIN_ARCH)
WIN_PC     := PKG_CONFIG_LIBDIR=$(WIN_CACHE)/lib/pkgconfig pkg-config --static
WIN_PKGS   := vigil-windows libevent_openssl libevent_core openssl sqlite3 libpcre2-8 libprotobuf-c
WIN_CMOCKA := $(shell $(WIN_PC) --libs cmocka 2>/dev/null)
CC         := $(WIN_ARCH)-w64-mingw32-gcc
WINDRES    := $(WIN_ARCH)-w64-mingw32-windres
PKG_CFLAGS := $(patsubst -I%,-isystem %,$(shell $(WIN_PC) --cflags $(WIN_PKGS) cmocka 2>/dev/null))
PKG_LIBS   := $(shell $(WIN_PC) --libs $(WIN_PKGS) 2>/dev/null)
AGENT_LIBS :=
WIN_SYSLIBS := -lole32 -loleaut32 -lwbemuuid -luuid -ladvapi32 -lpsapi -lws2_32 -lcrypt32 \
	-liphlpapi -luser32 -lshell32 -lbcrypt -lwevtapi -lsetupapi -lcfgmgr32 -lpthread
LDLIBS     = $(PKG_LIBS) $(WIN_SYSLIBS) -lm
LDFLAGS   += -static -s
COMMON_SRC := $(filter-out common/pki.c common/json.c common/tz.c,$(COMMON_SRC))
endif

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIBVIGIL     := $(BUILD)/libvigil.a
LIBAGENT     := $(BUILD)/libagent.a
LIBCOLLECTOR := $(BUILD)/libcollector.a
PROGS        := $(BUILD)/vigil-agent $(BUILD)/vigil-collector $(BUILD)/vigilctl
UNIT_BINS    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
FUZZ_REPLAY  := $(patsubst tests/fuzz/%.c,$(BUILD)/tests/replay_%,$(FUZZ_SRC))
BENCH_BIN    := $(BUILD)/vigil-bench $(if $(SCAN_SRC),$(BUILD)/vigil-scan-bench) \
	$(BUILD)/vigil-winrules-bench $(BUILD)/vigil-bench-winpost \
	$(BUILD)/vigil-noise-bench

ALL_OBJ := $(call obj,$(COMMON_SRC) $(AGENT_SRC) $(COLLECTOR_SRC) $(AGENT_MAIN) \
	collector/main.c $(VIGILCTL_SRC) $(UNIT_SRC) $(BENCH_SRC) $(SCAN_SRC) $(WINRULES_SRC) $(NOISE_SRC) \
	$(FUZZ_SRC) tests/fuzz/replay.c tests/bench/winpost.c) $(BUILD)/obj/gen/vigil.pb-c.o \
	$(BUILD)/obj/gen/catalogs.o

.PHONY: all test check-deps unit integration fuzz-replay check-configs check-rules \
	check-catalogs check-portable check-flow po-update bench demo fuzz install deps clean windows-deps
all: $(PROGS)

deps:
	$(Q)sh deploy/install-deps.sh

$(PROTO_C) $(PROTO_H): proto/vigil.proto
	@mkdir -p $(BUILD)/gen
	@echo "  PROTOC  $<"
	$(Q)protoc-c --proto_path=proto --c_out=$(BUILD)/gen $<

$(BUILD)/obj/gen/vigil.pb-c.o: $(PROTO_C)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(filter-out -Wcast-qual,$(ALL_CFLAGS)) -c -o $@ $<

# Every object may include the generated header.
$(call obj,$(COMMON_SRC) $(AGENT_SRC) $(COLLECTOR_SRC) $(AGENT_MAIN) collector/main.c \
	$(VIGILCTL_SRC) $(UNIT_SRC) $(BENCH_SRC) $(SCAN_SRC) $(WINRULES_SRC) $(NOISE_SRC) $(FUZZ_SRC) \
	tests/fuzz/replay.c tests/bench/winpost.c): $(PROTO_H)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Text for people (vigil/i18n.h): each po/LANG.po compiled by msgfmt, which
# checks its format strings against the English ones, and embedded in libvigil.
PO_LANGS  := vi en
MO_FILES  := $(PO_LANGS:%=$(BUILD)/po/%.mo)
CATALOG_C := $(BUILD)/gen/catalogs.c

$(BUILD)/po/%.mo: po/%.po
	@mkdir -p $(dir $@)
	@echo "  MSGFMT  $<"
	$(Q)msgfmt --check -o $@ $<

$(CATALOG_C): $(MO_FILES) po/embed.sh
	@mkdir -p $(dir $@)
	@echo "  EMBED   $@"
	$(Q)sh po/embed.sh $(foreach l,$(PO_LANGS),$(l)=$(BUILD)/po/$(l).mo) >$@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/catalogs.o: $(CATALOG_C)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Every sentence marked for translation, collected from the sources with the
# keywords of po/xgettext.args (tests/integration/check-catalogs.sh does the same).
I18N_SRC = $(sort $(wildcard agent/*.c agent/*/*.c collector/*.c common/*.c common/*/*.c))

$(BUILD)/po/vigil.pot: $(I18N_SRC) po/xgettext.args
	@mkdir -p $(dir $@)
	@echo "  XGETTEXT $@"
	$(Q)xgettext $$(cat po/xgettext.args) -o $@ $(I18N_SRC)

# For translators: the catalogs brought up to the sources' sentences (new ones
# untranslated, English ones copied by msgen), then check-catalogs says what is left.
po-update: $(BUILD)/po/vigil.pot
	$(Q)for l in $(PO_LANGS); do msgmerge --quiet --no-fuzzy-matching --update --backup=none po/$$l.po $<; done
	$(Q)msgen -o po/en.po po/en.po

$(LIBVIGIL): $(call obj,$(COMMON_SRC)) $(BUILD)/obj/gen/vigil.pb-c.o $(BUILD)/obj/gen/catalogs.o
$(LIBAGENT): $(call obj,$(AGENT_SRC))
$(LIBCOLLECTOR): $(call obj,$(COLLECTOR_SRC))
$(LIBVIGIL) $(LIBAGENT) $(LIBCOLLECTOR):
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/vigil-agent: $(call obj,$(AGENT_MAIN)) $(LIBAGENT) $(LIBVIGIL)
# The link map says which files the agent is made of (check-portable reads it).
$(BUILD)/vigil-agent: LDFLAGS += -Wl,-Map,$(BUILD)/vigil-agent.map
$(BUILD)/vigil-agent $(UNIT_BINS) $(FUZZ_REPLAY) $(BENCH_BIN): LDLIBS += $(AGENT_LIBS)
$(BUILD)/vigil-collector: $(BUILD)/obj/collector/main.o $(LIBCOLLECTOR) $(LIBVIGIL)
$(BUILD)/vigilctl: $(call obj,$(VIGILCTL_SRC)) $(LIBVIGIL)
# vigil-bench links the agent library for its reconnect policy (uplink_retry_ms).
$(BUILD)/vigil-bench: $(call obj,$(BENCH_SRC)) $(LIBAGENT) $(LIBVIGIL)
$(BUILD)/vigil-scan-bench: $(call obj,$(SCAN_SRC)) $(LIBAGENT) $(LIBVIGIL)
$(BUILD)/vigil-winrules-bench: $(call obj,$(WINRULES_SRC)) $(LIBAGENT) $(LIBVIGIL)
$(BUILD)/vigil-bench-winpost: $(BUILD)/obj/tests/bench/winpost.o $(LIBAGENT) $(LIBVIGIL)
# The noise budget on a simulated month (issue 11): the collector's escalation and budget.
$(BUILD)/vigil-noise-bench: $(call obj,$(NOISE_SRC)) $(LIBCOLLECTOR) $(LIBVIGIL)
$(PROGS) $(BENCH_BIN):
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIBAGENT) $(LIBCOLLECTOR) $(LIBVIGIL)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LDLIBS)

$(BUILD)/tests/replay_%: $(BUILD)/obj/tests/fuzz/%.o $(BUILD)/obj/tests/fuzz/replay.o \
		$(LIBAGENT) $(LIBCOLLECTOR) $(LIBVIGIL)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# make test: unit tests, fuzz corpora, shipped configs through -n, then the
# integration scripts against the real binaries.
test: deps
	$(Q)$(MAKE) --no-print-directory check-deps
	$(Q)$(MAKE) --no-print-directory all-tests
	$(Q)$(MAKE) --no-print-directory windows-unit
	$(Q)$(MAKE) --no-print-directory unit fuzz-replay check-configs check-rules check-catalogs \
		check-portable check-flow integration

.PHONY: all-tests
all-tests: $(PROGS) $(UNIT_BINS) $(FUZZ_REPLAY) $(BENCH_BIN)

# Tests, the demo and the bench see only a fresh Debian's programs and those
# deploy/programs.txt declares (tests/deps/declared-path.sh says why). The
# directory is built once, here, before any target that runs in it: targets
# run at once by make -j share it.
DECLARED_STAMP = $(BUILD)/declared-bin.stamp
DECLARED = sh tests/deps/declared-path.sh $(BUILD)/declared-bin
$(DECLARED_STAMP): tests/deps/declared-path.sh deploy/programs.txt $(wildcard /var/lib/dpkg/status)
	@echo "  PATH    $(BUILD)/declared-bin"
	$(Q)sh tests/deps/declared-path.sh $(BUILD)/declared-bin
	$(Q)touch $@

# Every declared program's package is installed by install-deps, and is here.
check-deps:
	$(Q)sh tests/deps/check-deps.sh
	$(Q)sh tests/deps/check-deps.sh --self-test

unit: $(UNIT_BINS) $(DECLARED_STAMP)
	$(Q)$(DECLARED) sh -ec 'for t in $(UNIT_BINS); do echo "  UNIT    $$t"; $$t; done'

fuzz-replay: $(FUZZ_REPLAY) $(DECLARED_STAMP)
	$(Q)$(DECLARED) sh -ec 'for t in $(FUZZ_REPLAY); do n=$${t##*/replay_fuzz_}; \
		echo "  REPLAY  tests/fuzz/corpus/$$n"; $$t tests/fuzz/corpus/$$n; done'

check-configs: $(PROGS) $(DECLARED_STAMP)
	$(Q)$(DECLARED) sh tests/integration/check-configs.sh $(BUILD)

# Every shipped rule against its positive and negative sample lines, a
# generated sshd log in the forms real logs take (CRLF, PAM only, ISO stamps),
# and a recorded day of a Windows PC's events.
check-rules: $(BUILD)/vigil-agent $(DECLARED_STAMP)
	$(Q)$(DECLARED) sh tests/integration/check-rules.sh $(BUILD)
	$(Q)$(DECLARED) sh tests/integration/check-logforms.sh $(BUILD)
	$(Q)$(DECLARED) sh tests/integration/check-winday.sh $(BUILD)

# The agent's portable core compiles for Windows with no POSIX or Linux header,
# and the check catches violations planted on purpose.
check-portable: $(BUILD)/vigil-agent $(DECLARED_STAMP)
	$(Q)$(DECLARED) sh tests/integration/check-portable.sh $(BUILD) --self-test
	$(Q)$(DECLARED) sh tests/integration/check-portable.sh $(BUILD)

# The collector runs one way (session -> store -> incidents -> escalation ->
# notifiers) and keeps its SQL in store*.c; the check catches planted violations.
check-flow: $(DECLARED_STAMP)
	$(Q)$(DECLARED) sh tests/integration/check-flow.sh $(BUILD) --self-test
	$(Q)$(DECLARED) sh tests/integration/check-flow.sh $(BUILD)

# Every sentence marked for translation has its Vietnamese (and English)
# entry, and every shipped rule its Vietnamese summary.
check-catalogs: $(BUILD)/vigil-agent $(DECLARED_STAMP)
	$(Q)$(DECLARED) sh tests/integration/check-catalogs.sh $(BUILD) --self-test
	$(Q)$(DECLARED) sh tests/integration/check-catalogs.sh $(BUILD)

integration: $(PROGS) $(BENCH_BIN) $(UNIT_BINS) $(DECLARED_STAMP)
	$(Q)$(DECLARED) sh tests/integration/run.sh $(BUILD)

bench: deps check-deps $(DECLARED_STAMP)
	$(Q)$(MAKE) --no-print-directory $(PROGS) $(BENCH_BIN)
	$(Q)$(DECLARED) sh tests/bench/run.sh $(BUILD)
	$(Q)$(DECLARED) sh tests/bench/scan.sh $(BUILD)
	$(Q)$(DECLARED) sh tests/bench/winrules.sh $(BUILD)
	$(Q)$(DECLARED) env BUILD=$(BUILD) sh tests/bench/idle.sh
	$(Q)$(BUILD)/vigil-bench-winpost
	$(Q)$(DECLARED) env BUILD=$(BUILD) sh tests/bench/latency.sh
	$(Q)$(BUILD)/vigil-noise-bench deploy/escalation.conf.example 28

demo: deps check-deps $(DECLARED_STAMP)
	$(Q)$(MAKE) --no-print-directory $(PROGS)
	$(Q)$(DECLARED) sh deploy/demo.sh $(BUILD)

# libFuzzer builds need clang; the corpora are replayed by make test without it.
FUZZ_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
fuzz:
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/fuzz CC=clang \
		CFLAGS="$(FUZZ_FLAGS) -fsanitize=fuzzer-no-link" \
		$(BUILD)/fuzz/libvigil.a $(BUILD)/fuzz/libagent.a $(BUILD)/fuzz/libcollector.a \
		$(BUILD)/fuzz/libreport.a
	$(Q)set -e; for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
		echo "  FUZZ    $(BUILD)/$$n"; \
		clang $(FUZZ_FLAGS) -fsanitize=fuzzer -std=c11 -D_GNU_SOURCE -Iinclude \
		-I$(BUILD)/fuzz/gen $(PKG_CFLAGS) -o $(BUILD)/$$n $$f $(BUILD)/fuzz/libagent.a \
		$(BUILD)/fuzz/libcollector.a $(BUILD)/fuzz/libreport.a $(BUILD)/fuzz/libvigil.a \
		$(LDLIBS) $(AGENT_LIBS); done

# The libraries of the Windows agent, from Debian's sources, cached outside the
# clone (VIGIL_WINDOWS_CACHE, default /var/cache/vigil-windows): seconds when
# the cache is warm. t21 runs it too, so make test builds them on a new machine.
windows-deps: deps
	$(Q)sh deploy/windows/build-deps.sh

# make windows: vigil-agent.exe for each of WIN_ARCHES, in BUILD/windows/ARCH,
# statically linked (README, "Windows build").
WIN_ARCHES ?= x86_64 i686
.PHONY: windows windows-agent
windows: windows-deps
	$(Q)for a in $(WIN_ARCHES); do $(MAKE) --no-print-directory PLATFORM=windows WIN_ARCH=$$a \
		BUILD=$(BUILD)/windows/$$a windows-agent || exit 1; done
	$(Q)$(MAKE) --no-print-directory $(foreach a,$(WIN_ARCHES),$(BUILD)/windows/vigil-agent-$(a).msi)

# The MSI of each architecture (wixl, msitools): deploy/windows/msi.sh.
$(BUILD)/windows/vigil-agent-%.msi: $(BUILD)/windows/%/vigil-agent.exe deploy/windows/msi.sh \
		deploy/windows/vigil-agent.wxs $(wildcard deploy/rules.d/*.rules)
	@echo "  WIXL    $@"
	$(Q)sh deploy/windows/msi.sh $* $< $@

windows-agent: $(BUILD)/vigil-agent.exe
$(BUILD)/vigil-agent.exe: $(call obj,$(AGENT_MAIN)) $(LIBAGENT) $(LIBVIGIL)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# make windows-unit: the unit tests of the portable core, built for Windows
# (x86_64) and run under wine64 (tests/windows/unit.sh); part of make test.
# Left out, and why: the collector's and the reports' tests (not the agent);
# json (vigilctl's reader, not in the Windows libvigil); uevent, tail, usb,
# journal, updates, memtrim, av (Linux platform code); and the core tests that
# make their fixtures with POSIX calls mingw lacks: clock and i18n (setenv),
# config (open_memstream), rules, agentconf, posture, ingest, sensor, dir
# (mkdtemp), spool (fork, sys/wait.h). Giving those a portable fixture layer
# is what brings them here.
WIN_UNIT := auditpol err evtlog_util frame ini matcher sbuf text threshold uplink usbid_win utf8 wire wsc
WIN_UNIT_BINS := $(patsubst %,$(BUILD)/tests/test_%.exe,$(WIN_UNIT))
.PHONY: windows-unit windows-unit-build
windows-unit-build: $(WIN_UNIT_BINS)
$(BUILD)/tests/%.exe: $(BUILD)/obj/tests/unit/%.o $(LIBAGENT) $(LIBVIGIL)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(WIN_CMOCKA) $(LDLIBS)
windows-unit: windows $(DECLARED_STAMP)
	$(Q)$(MAKE) --no-print-directory PLATFORM=windows WIN_ARCH=x86_64 \
		BUILD=$(BUILD)/windows/x86_64 windows-unit-build
	$(Q)$(DECLARED) sh tests/windows/unit.sh $(BUILD)/windows/x86_64 $(WIN_UNIT)

install: $(PROGS)
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/vigil-agent $(BUILD)/vigil-collector $(DESTDIR)$(PREFIX)/sbin/
	install -m 0755 $(BUILD)/vigilctl $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/share/vigil/rules.d
	install -m 0644 deploy/rules.d/*.rules $(DESTDIR)$(PREFIX)/share/vigil/rules.d/

# ---- reports (issue 17): the official forms, their deadlines, the periodic summary.
# libreport.a holds the pure parts (data, templates, WordprocessingML, holiday
# calendar, deadlines, summary figures), which the collector will link; the
# renderer links them with libzip, cairo and pango, and runs as its own
# process (see README, "Reports"). PDF is made by LibreOffice from the filled
# DOCX: REPORT_SOFFICE is the program the renderer runs unless told otherwise.
REPORT_SOFFICE ?= /usr/bin/soffice
REPORT_PKGS := libzip cairo pango pangocairo fontconfig
REPORT_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(REPORT_PKGS) 2>/dev/null))
REPORT_LIBS := $(shell pkg-config --libs $(REPORT_PKGS) 2>/dev/null)
REPORT_CORE_SRC := report/value.c report/tmpl.c report/tmpl_render.c \
	report/tmpl_escape.c report/xmltok.c report/docx_prep.c report/docx_html.c \
	report/calendar.c report/deadline.c report/summary.c report/summary_json.c
RENDER_SRC := report/render.c report/docx.c report/chart.c report/soffice.c report/limits.c
REPORT_UNIT := $(patsubst %,$(BUILD)/tests/%,test_value test_tmpl test_xmltok \
	test_docx_prep test_docx_html test_calendar test_deadline test_summary)
RENDER_UNIT := $(patsubst %,$(BUILD)/tests/%,test_docx test_chart)
REPORT_FUZZ := $(patsubst %,$(BUILD)/tests/replay_fuzz_%,template docx calendar)
LIBREPORT := $(BUILD)/libreport.a
LIBRENDER := $(BUILD)/librender.a
REPORT_PROGS := $(BUILD)/vigil-report-render
REPORT_TOOLS := $(BUILD)/vigil-docx-pack $(BUILD)/tests/report-demo
REPORT_FORMS := notice initial closing halfyear breach summary
REPORT_DOCX := $(foreach f,$(REPORT_FORMS),$(BUILD)/reports/$(f)-state.docx $(BUILD)/reports/$(f)-party.docx)
REPORT_SHARE := $(REPORT_DOCX) $(BUILD)/reports/summary.csv $(BUILD)/reports/holidays.conf
REPORT_OBJ := $(call obj,$(REPORT_CORE_SRC) $(RENDER_SRC) report/pack.c tests/report/demo.c)

$(call obj,$(REPORT_CORE_SRC) $(RENDER_SRC) report/pack.c tests/report/demo.c) \
$(patsubst $(BUILD)/tests/%,$(BUILD)/obj/tests/unit/%.o,$(RENDER_UNIT)): ALL_CFLAGS += $(REPORT_CFLAGS)
$(BUILD)/obj/report/render.o: ALL_CFLAGS += -DREPORT_SOFFICE='"$(REPORT_SOFFICE)"'
$(LIBREPORT): $(call obj,$(REPORT_CORE_SRC))
$(LIBRENDER): $(call obj,$(filter-out report/render.c,$(RENDER_SRC)))
$(LIBREPORT) $(LIBRENDER):
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^
# The renderer links only what it uses: none of the daemons' libraries.
$(BUILD)/vigil-report-render: $(BUILD)/obj/report/render.o $(LIBRENDER) $(LIBREPORT) $(LIBVIGIL)
$(BUILD)/vigil-docx-pack: $(BUILD)/obj/report/pack.o $(LIBRENDER) $(LIBREPORT) $(LIBVIGIL)
$(BUILD)/vigil-report-render $(BUILD)/vigil-docx-pack:
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(REPORT_LIBS) -lm
$(BUILD)/tests/report-demo: $(BUILD)/obj/tests/report/demo.o $(LIBREPORT) $(LIBVIGIL)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lm
$(REPORT_UNIT) $(RENDER_UNIT) $(REPORT_FUZZ): $(LIBREPORT)
# The collector links the pure report code (deadlines, calendar, summary figures; issue 17).
$(BUILD)/vigil-collector $(UNIT_BINS) $(FUZZ_REPLAY) $(BUILD)/vigil-noise-bench: $(LIBREPORT)
$(BUILD)/vigil-collector $(UNIT_BINS) $(FUZZ_REPLAY) $(BUILD)/vigil-noise-bench: \
	LDLIBS += $(LIBREPORT) $(LIBVIGIL)
$(REPORT_UNIT) $(REPORT_FUZZ): LDLIBS += $(LIBREPORT) $(LIBVIGIL)
$(RENDER_UNIT): $(LIBRENDER)
$(RENDER_UNIT): LDLIBS += $(LIBRENDER) $(LIBREPORT) $(LIBVIGIL) $(REPORT_LIBS)

# The shipped templates: readable WordprocessingML in deploy/reports, packed
# into .docx by the build (a unit replaces them without a release: README).
REPORT_COMMON := $(shell find deploy/reports/docx/common -type f | sed 's/[][]/\\&/g')
$(BUILD)/reports/%.docx: deploy/reports/docx/%.xml $(REPORT_COMMON) $(BUILD)/vigil-docx-pack
	@mkdir -p $(dir $@)
	@echo "  PACK    $@"
	$(Q)$(BUILD)/vigil-docx-pack $@ deploy/reports/docx/common $<
$(BUILD)/reports/summary.csv $(BUILD)/reports/holidays.conf: $(BUILD)/reports/%: deploy/reports/%
	@mkdir -p $(dir $@)
	$(Q)cp $< $@

.PHONY: reports install-reports
reports: $(REPORT_PROGS) $(REPORT_SHARE)
all: reports
all-tests: reports $(REPORT_TOOLS) $(REPORT_UNIT) $(RENDER_UNIT) $(REPORT_FUZZ)
integration: reports $(REPORT_TOOLS)
install: install-reports
install-reports: reports
	install -d $(DESTDIR)$(PREFIX)/libexec/vigil $(DESTDIR)$(PREFIX)/share/vigil/reports
	install -m 0755 $(BUILD)/vigil-report-render $(DESTDIR)$(PREFIX)/libexec/vigil/
	install -m 0644 $(REPORT_SHARE) $(DESTDIR)$(PREFIX)/share/vigil/reports/

# ---- guides (issue 16): one printable A4 page per role and language, written
# as HTML with print CSS (docs/guides), printed to PDF by LibreOffice (one run
# for all, with a profile of its own so that it never meets a user's running
# LibreOffice). Writer's HTML import, not Writer/Web's: it keeps @page's A4
# size and margins and the fonts the CSS names (t28 checks the result).
GUIDES_HTML := $(sort $(wildcard docs/guides/*.html))
GUIDES_PDF  := $(patsubst docs/guides/%.html,$(BUILD)/guides/%.pdf,$(GUIDES_HTML))
GUIDES_SOFFICE ?= soffice
.PHONY: guides
guides: $(GUIDES_PDF)
$(GUIDES_PDF) &: $(GUIDES_HTML)
	@mkdir -p $(BUILD)/guides
	@echo "  PDF     $(GUIDES_PDF)"
	$(Q)rm -f $(GUIDES_PDF)
	$(Q)timeout 300 $(GUIDES_SOFFICE) "-env:UserInstallation=file://$(abspath $(BUILD))/guides/.profile" \
		--headless --norestore --infilter="HTML (StarWriter)" \
		--convert-to pdf:writer_pdf_Export --outdir $(BUILD)/guides $(GUIDES_HTML) \
		>$(BUILD)/guides/soffice.log 2>&1 || { cat $(BUILD)/guides/soffice.log >&2; exit 1; }
	$(Q)for f in $(GUIDES_PDF); do [ -s $$f ] || { echo "LibreOffice made no $$f:" >&2; \
		cat $(BUILD)/guides/soffice.log >&2; exit 1; }; done

clean:
	rm -rf $(BUILD)

-include $(ALL_OBJ:.o=.d) $(REPORT_OBJ:.o=.d)
