#!/bin/sh
# build-deps.sh [ARCH...]: the libraries vigil-agent.exe links statically,
# built for Windows with Debian's mingw-w64 from Debian's own source packages.
#
# Debian ships no Windows builds of OpenSSL, libevent, SQLite, protobuf-c or
# PCRE2, so this script takes each one's Debian source package (apt-get source,
# with Debian's patches applied), cross-builds static libraries for each ARCH
# (x86_64 and i686 unless named) and installs headers, .a files and pkg-config
# files into a cache outside the clone:
#
#   $VIGIL_WINDOWS_CACHE (default /var/cache/vigil-windows)
#     ARCH/include, ARCH/lib, ARCH/lib/pkgconfig   what a build links with:
#         PKG_CONFIG_LIBDIR=$CACHE/ARCH/lib/pkgconfig pkg-config --static ...
#     ARCH/stamps/LIB        what LIB was built from (source package and
#                            version, recipe revision, _WIN32_WINNT, compiler)
#     ARCH/stamps/LIB.files  the files LIB installed
#     ARCH/logs/LIB.log      the last build's output
#     src/                   the downloaded Debian source packages
#
# A library is rebuilt only when its stamp differs from what would be built
# now: a new Debian version of its source (a security update), a new compiler,
# another _WIN32_WINNT, or a change of recipe (bump it in rev_of). libevent's
# stamp includes OpenSSL's, since libevent_openssl is compiled against it.
# A warm run (nothing to rebuild) takes seconds.
#
# Nothing comes from anywhere but the Debian archive the machine's apt
# already uses: when apt knows no deb-src entry, one for the same Debian
# sites, suites and components as the machine's deb entries is added in a file
# of our own (needs root), followed by apt-get update. The newest version apt
# knows is built; when the archive does not serve it (a mirror without the
# security suite's sources), the newest one it serves is, with a warning.
#
# Environment: VIGIL_WINDOWS_CACHE (the cache), JOBS (parallel make jobs,
# default: the number of processors).
set -eu
# apt_update: apt-get update, tried again while a mirror is mid-sync.
. "$(dirname "$0")/../apt-update.sh"

# The oldest Windows supported is Windows 7 (0x0601): the issue hopes for it
# and offices still run it. Everything is compiled against this one value, so
# that no library calls an API that 7 lacks (mingw-w64's headers default to
# Windows 10, 0xa00). OpenSSL 3.0 then uses slim reader/writer locks (Vista
# and later); libevent 2.1 pins itself to XP (0x0501) and finds newer calls
# (GetTickCount64, condition variables) at run time.
WINNT=0x0601

LIBS="openssl libevent sqlite3 protobuf-c pcre2 cmocka"
ARCHES=${*:-x86_64 i686}
CACHE=${VIGIL_WINDOWS_CACHE:-/var/cache/vigil-windows}
JOBS=${JOBS:-$(nproc)}
SRC_LIST=/etc/apt/sources.list.d/vigil-debian-src.sources

say() {
	echo "  WINDEPS $*"
}

die() {
	echo "build-deps: $*" >&2
	exit 1
}

# upstream_of LIB: the upstream version series this script's recipe is for.
# Another series (a newer Debian) fails loudly rather than building something
# nobody has tried.
upstream_of() {
	case $1 in
	openssl) echo '3.0.*' ;;
	libevent) echo '2.1.12-stable' ;;
	sqlite3) echo '3.40.*' ;;
	protobuf-c) echo '1.4.1' ;;
	pcre2) echo '10.42' ;;
	cmocka) echo '1.1.*' ;;
	esac
}

# rev_of LIB: the recipe's revision. Bump one when the way its library is
# built changes, so that caches everywhere rebuild it.
rev_of() {
	case $1 in
	openssl) echo 2 ;;
	libevent) echo 2 ;;
	sqlite3) echo 1 ;;
	protobuf-c) echo 1 ;;
	pcre2) echo 1 ;;
	cmocka) echo 1 ;;
	esac
}

host_of() {
	case $1 in
	x86_64 | i686) echo "$1-w64-mingw32" ;;
	*) die "unknown architecture $1 (x86_64 or i686)" ;;
	esac
}

# ---------------------------------------------------------------- sources

# apt knows a deb-src entry when it has a Sources index target.
# shellcheck disable=SC2016 # $(URI) is apt's field, not the shell's
have_deb_src() {
	apt-get indextargets --format '$(URI)' 'Created-By: Sources' 2>/dev/null | grep -q .
}

# Add deb-src entries mirroring the machine's deb entries for Debian's own
# archive (origin Debian), then fetch their indexes. Only when there are none:
# a machine whose administrator chose deb-src entries keeps them.
ensure_deb_src() {
	have_deb_src && return 0
	if grep -qsE '^[[:space:]]*deb-src[[:space:]]|^Types:.*deb-src' /etc/apt/sources.list \
		/etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; then
		# Configured but never fetched.
		[ "$(id -u)" -eq 0 ] || die "apt has deb-src entries but no source indexes: run apt-get update as root"
		say "apt-get update (deb-src entries without indexes)"
		apt_update || say "apt-get update reported errors (above); going on with the indexes it fetched"
		have_deb_src || die "apt-get update fetched no source index"
		return 0
	fi
	[ "$(id -u)" -eq 0 ] || die "apt has no deb-src entry for Debian's archive; run this once as root to add $SRC_LIST"
	# shellcheck disable=SC2016 # apt's fields
	_targets=$(apt-get indextargets --format '$(ORIGIN)|$(REPO_URI)|$(RELEASE)|$(COMPONENT)' \
		'Created-By: Packages' | awk -F'|' '$1 == "Debian"' | sort -u)
	[ -n "$_targets" ] || die "apt knows no Debian archive (no deb entry of origin Debian): cannot add deb-src"
	_keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	{
		echo "# Added by Vigil's deploy/windows/build-deps.sh: the sources of the Debian packages"
		echo "# it builds for Windows (apt-get source). Same sites, suites and components as the"
		echo "# machine's deb entries for Debian's archive."
		printf '%s\n' "$_targets" | awk -F'|' '!seen[$2 "|" $3]++ { s[$2] = s[$2] " " $3 }
			END { for (u in s) print u "|" s[u] }' | while IFS='|' read -r _uri _suites; do
			_comps=$(printf '%s\n' "$_targets" | awk -F'|' -v u="$_uri" '$2 == u { print $4 }' |
				sort -u | tr '\n' ' ')
			echo
			echo "Types: deb-src"
			echo "URIs: $_uri"
			echo "Suites:$_suites"
			echo "Components: ${_comps% }"
			[ -f "$_keyring" ] && echo "Signed-By: $_keyring"
		done
	} >"$SRC_LIST.tmp"
	mv "$SRC_LIST.tmp" "$SRC_LIST"
	say "added $SRC_LIST; apt-get update"
	apt_update || say "apt-get update reported errors (above); going on with the indexes it fetched"
	have_deb_src || die "apt-get update fetched no source index from $SRC_LIST"
}

# versions PKG: the versions apt knows of source package PKG, newest first.
versions() {
	_vs=$(apt-cache showsrc "$1" 2>/dev/null | sed -n 's/^Version: //p' | sort -u)
	[ -n "$_vs" ] || return 0
	# Debian version order (~ sorts first), which sort(1) does not know.
	while [ -n "$_vs" ]; do
		_max=""
		for _v in $_vs; do
			if [ -z "$_max" ] || dpkg --compare-versions "$_v" gt "$_max"; then _max=$_v; fi
		done
		echo "$_max"
		# shellcheck disable=SC2086 # one version a word
		_vs=$(printf '%s\n' $_vs | grep -vxF -- "$_max" || true)
	done
}

# dsc_of PKG VERSION: the .dsc file name (an epoch is not part of it).
dsc_of() {
	echo "$CACHE/src/${1}_${2#*:}.dsc"
}

# fetch PKG VERSION: the source package's files into $CACHE/src, checked by
# apt against the archive's signed index. Fails when the archive does not
# serve them.
fetch() {
	[ -f "$(dsc_of "$1" "$2")" ] && return 0
	(cd "$CACHE/src" && apt-get source -qq --download-only "$1=$2") >"$CACHE/src/fetch.log" 2>&1
}

# unpack PKG VERSION DIR: the source tree with Debian's patches applied.
unpack() {
	rm -rf "$3"
	dpkg-source -x "$(dsc_of "$1" "$2")" "$3" >>"$LOG" 2>&1 || return 1
}

# ---------------------------------------------------------------- stamps

toolchain_of() {
	_h=$(host_of "$1")
	printf '%s %s' "$("$_h-gcc" --version | head -n 1)" \
		"$(dpkg-query -W -f='${Package} ${Version}' "mingw-w64-$(echo "$1" | tr _ -)-dev" 2>/dev/null)"
}

# stamp_want LIB ARCH PKG VERSION: what the stamp of LIB says once built now.
stamp_want() {
	printf 'source %s %s\nrecipe %s\n_WIN32_WINNT %s\ntoolchain %s\n' "$3" "$4" "$(rev_of "$1")" \
		"$WINNT" "$(toolchain_of "$2")"
	# libevent_openssl is compiled against OpenSSL's headers.
	if [ "$1" = libevent ]; then
		sed 's/^/openssl: /' "$CACHE/$2/stamps/openssl" 2>/dev/null || echo "openssl: none"
	fi
	return 0
}

# built LIB ARCH PKG VERSION: the cache holds LIB as it would be built now.
built() {
	_s="$CACHE/$2/stamps/$1"
	[ -f "$_s" ] && [ -f "$_s.files" ] || return 1
	[ "$(cat "$_s")" = "$(stamp_want "$@")" ] || return 1
	while read -r _f; do
		[ -e "$CACHE/$2/$_f" ] || return 1
	done <"$_s.files"
}

# install_stage LIB ARCH STAGE: move what LIB's build put in STAGE (a prefix
# with include/ and lib/) into the cache, replacing what it installed before.
install_stage() {
	_dst="$CACHE/$2"
	_s="$_dst/stamps/$1"
	rm -f "$_s"
	if [ -f "$_s.files" ]; then
		while read -r _f; do rm -f "$_dst/$_f"; done <"$_s.files"
	fi
	(cd "$3" && find . ! -type d | sed 's|^\./||' | sort) >"$_s.files.tmp"
	(cd "$3" && find . -type d) | while read -r _d; do mkdir -p "$_dst/$_d"; done
	while read -r _f; do cp -p "$3/$_f" "$_dst/$_f"; done <"$_s.files.tmp"
	mv "$_s.files.tmp" "$_s.files"
}

# ---------------------------------------------------------------- recipes
#
# Each recipe runs in the unpacked source tree, in a subshell with set -e and
# its output going to LOG, with: ARCH, HOST (the mingw triplet), PREFIX (the
# cache's ARCH directory, which .pc files name), STAGE (where to put include/
# and lib/), VERSION (the Debian version) and CFLAGS_WIN (split into words).

CFLAGS_WIN="-O2 -D_WIN32_WINNT=$WINNT"

build_openssl() {
	case $ARCH in
	x86_64) _target=mingw64 ;;
	i686) _target=mingw ;;
	esac
	# --prefix names where a Windows machine would look for openssl.cnf and
	# modules: an admin-only directory, never a path of this machine (on
	# Windows /var/cache/... is C:\var\cache\..., which any user may create).
	# no-dso: no engine or provider is ever loaded from a DLL; TLS uses the
	# built-in default provider. no-shared: static libraries only.
	#
	# Debian's pic.patch makes the 32-bit x86 assembly position-independent
	# the ELF way (GOT relocations), which a PE/COFF object cannot hold: the
	# i686 build fails on it. Windows code needs no GOT, so it is taken out.
	patch -R -p1 -s <debian/patches/pic.patch
	./Configure "$_target" no-shared no-dso no-tests --prefix="C:/Program Files/Vigil" \
		--openssldir=ssl --libdir=lib --cross-compile-prefix="$HOST-" \
		"-D_WIN32_WINNT=$WINNT"
	nice -n 10 make -j"$JOBS" build_libs
	mkdir -p "$STAGE/include/openssl" "$STAGE/lib/pkgconfig"
	cp include/openssl/*.h "$STAGE/include/openssl/"
	cp libcrypto.a libssl.a "$STAGE/lib/"
	_ver=$(sed -n 's/^MAJOR=//p' VERSION.dat).$(sed -n 's/^MINOR=//p' VERSION.dat).$(sed -n 's/^PATCH=//p' VERSION.dat)
	cat >"$STAGE/lib/pkgconfig/libcrypto.pc" <<EOF
prefix=$PREFIX
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: OpenSSL-libcrypto
Description: OpenSSL cryptography library (mingw-w64, static)
Version: $_ver
Libs: -L\${libdir} -lcrypto
Libs.private: -lws2_32 -lgdi32 -lcrypt32
Cflags: -I\${includedir}
EOF
	cat >"$STAGE/lib/pkgconfig/libssl.pc" <<EOF
prefix=$PREFIX
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: OpenSSL-libssl
Description: Secure Sockets Layer and cryptography libraries (mingw-w64, static)
Version: $_ver
Requires.private: libcrypto
Libs: -L\${libdir} -lssl
Cflags: -I\${includedir}
EOF
	cat >"$STAGE/lib/pkgconfig/openssl.pc" <<EOF
prefix=$PREFIX
Name: OpenSSL
Description: Secure Sockets Layer and cryptography libraries and tools (mingw-w64, static)
Version: $_ver
Requires: libssl libcrypto
EOF
}

build_libevent() {
	# Debian's patches change Makefile.am: without regenerating, make fails.
	autoreconf -fi
	PKG_CONFIG_LIBDIR="$PREFIX/lib/pkgconfig" ./configure --host="$HOST" --prefix="$PREFIX" \
		--disable-shared --enable-static --disable-samples --disable-libevent-regress \
		--disable-doxygen-doc CFLAGS="$CFLAGS_WIN"
	nice -n 10 make -j"$JOBS"
	make install DESTDIR="$STAGE.root"
	mkdir -p "$STAGE/lib/pkgconfig"
	cp -R "$STAGE.root$PREFIX/include" "$STAGE/"
	cp "$STAGE.root$PREFIX"/lib/*.a "$STAGE/lib/"
	# The .pc files list only configure's LIBS, not the Windows libraries
	# Makefile.am links with (SYS_LIBS, SYS_CORE_LIBS): without iphlpapi a
	# static link misses if_nametoindex.
	for _pc in "$STAGE.root$PREFIX"/lib/pkgconfig/*.pc; do
		sed 's/^Libs\.private:.*/& -liphlpapi -lshell32 -ladvapi32/' "$_pc" \
			>"$STAGE/lib/pkgconfig/${_pc##*/}"
	done
	rm -rf "$STAGE.root"
}

# The Debian source has no amalgamation: sqlite3.c is generated natively once
# per version (tclsh and the host's cc), then compiled for each architecture.
build_sqlite3() {
	_am="$CACHE/src/sqlite3-amalgamation-$VERSION"
	if [ ! -f "$_am/sqlite3.c" ]; then
		(
			mkdir -p native && cd native
			# --disable-tcl: only tclsh is needed, not Tcl's build
			# configuration (Debian's tclConfig.sh runs dpkg-architecture).
			../configure --disable-shared --disable-tcl
			nice -n 10 make -j"$JOBS" sqlite3.c
		)
		rm -rf "$_am.tmp" && mkdir -p "$_am.tmp"
		cp native/sqlite3.c native/sqlite3.h native/sqlite3ext.h "$_am.tmp/"
		rm -rf "$_am" && mv "$_am.tmp" "$_am"
	fi
	# SQLITE_OMIT_LOAD_EXTENSION: the agent's spool never loads code.
	# shellcheck disable=SC2086
	nice -n 10 "$HOST-gcc" $CFLAGS_WIN -DSQLITE_THREADSAFE=1 -DSQLITE_OMIT_LOAD_EXTENSION \
		-c "$_am/sqlite3.c" -o sqlite3.o
	mkdir -p "$STAGE/include" "$STAGE/lib/pkgconfig"
	"$HOST-ar" rcs "$STAGE/lib/libsqlite3.a" sqlite3.o
	cp "$_am/sqlite3.h" "$_am/sqlite3ext.h" "$STAGE/include/"
	cat >"$STAGE/lib/pkgconfig/sqlite3.pc" <<EOF
prefix=$PREFIX
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: SQLite
Description: SQL database engine (mingw-w64, static)
Version: $(sed -n 's/^#define SQLITE_VERSION  *"\(.*\)"/\1/p' "$_am/sqlite3.h")
Libs: -L\${libdir} -lsqlite3
Cflags: -I\${includedir}
EOF
}

# The agent needs protobuf-c's runtime only (protoc-c runs on the build
# host), which is one file.
build_protobuf_c() {
	# shellcheck disable=SC2086
	nice -n 10 "$HOST-gcc" $CFLAGS_WIN -I. -c protobuf-c/protobuf-c.c -o protobuf-c.o
	mkdir -p "$STAGE/include/protobuf-c" "$STAGE/lib/pkgconfig"
	"$HOST-ar" rcs "$STAGE/lib/libprotobuf-c.a" protobuf-c.o
	cp protobuf-c/protobuf-c.h "$STAGE/include/protobuf-c/"
	cat >"$STAGE/lib/pkgconfig/libprotobuf-c.pc" <<EOF
prefix=$PREFIX
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: libprotobuf-c
Description: Protocol Buffers C runtime (mingw-w64, static)
Version: $(echo "$VERSION" | sed 's/-[^-]*$//')
Libs: -L\${libdir} -lprotobuf-c
Cflags: -I\${includedir}
EOF
}

# 8-bit PCRE2 with JIT, the library alone (not pcre2grep and pcre2test).
# Its .pc carries -DPCRE2_STATIC in Cflags (pkg-config --static), without
# which the header declares every function as imported from a DLL.
build_pcre2() {
	./configure --host="$HOST" --prefix="$PREFIX" --disable-shared --enable-static \
		--enable-jit CFLAGS="$CFLAGS_WIN"
	nice -n 10 make -j"$JOBS" libpcre2-8.la
	mkdir -p "$STAGE/include" "$STAGE/lib/pkgconfig"
	cp src/pcre2.h "$STAGE/include/"
	cp .libs/libpcre2-8.a "$STAGE/lib/"
	cp libpcre2-8.pc "$STAGE/lib/pkgconfig/"
}

# cmocka, for the portable unit tests run under Wine (make windows-unit):
# one file, its CMake checks answered by hand for mingw-w64.
build_cmocka() {
	# shellcheck disable=SC2086
	nice -n 10 "$HOST-gcc" $CFLAGS_WIN -std=gnu99 -DHAVE_MALLOC_H -DHAVE_INTTYPES_H \
		-DHAVE_SIGNAL_H -DHAVE_STRINGS_H -DHAVE_GCC_THREAD_LOCAL_STORAGE \
		-DHAVE_STRUCT_TIMESPEC -DHAVE_CLOCK_REALTIME -Iinclude -c src/cmocka.c -o cmocka.o
	mkdir -p "$STAGE/include" "$STAGE/lib/pkgconfig"
	"$HOST-ar" rcs "$STAGE/lib/libcmocka.a" cmocka.o
	cp include/cmocka.h "$STAGE/include/"
	cat >"$STAGE/lib/pkgconfig/cmocka.pc" <<EOF
prefix=$PREFIX
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: cmocka
Description: The cmocka unit testing library (mingw-w64, static)
Version: $(echo "$VERSION" | sed 's/-[^-]*$//')
Libs: -L\${libdir} -lcmocka
Cflags: -I\${includedir}
EOF
}

# build LIB ARCH PKG VERSION
build() {
	LIB=$1 ARCH=$2 VERSION=$4
	HOST=$(host_of "$ARCH")
	PREFIX="$CACHE/$ARCH"
	_work="$CACHE/work/$ARCH/$LIB"
	STAGE="$CACHE/work/$ARCH/$LIB.stage"
	LOG="$PREFIX/logs/$LIB.log"
	mkdir -p "$PREFIX/stamps" "$PREFIX/logs"
	: >"$LOG"
	rm -rf "$_work" "$STAGE" "$STAGE.root"
	mkdir -p "$STAGE"
	_t0=$(date +%s)
	unpack "$3" "$4" "$_work" || die "cannot unpack $3 $4 (see $LOG)"
	# Not in a condition: there set -e would be off inside the recipe.
	set +e
	(
		set -e
		cd "$_work"
		"build_$(echo "$LIB" | tr - _)"
	) >>"$LOG" 2>&1
	_rc=$?
	set -e
	if [ "$_rc" -ne 0 ]; then
		echo "---- last lines of $LOG" >&2
		tail -n 30 "$LOG" >&2
		die "building $LIB $4 for $ARCH failed (full log: $LOG)"
	fi
	install_stage "$LIB" "$ARCH" "$STAGE"
	stamp_want "$LIB" "$ARCH" "$3" "$4" >"$PREFIX/stamps/$LIB"
	rm -rf "$_work" "$STAGE"
	_secs=$(($(date +%s) - _t0))
	_kb=$(cd "$PREFIX" && grep '\.a$' "stamps/$LIB.files" | xargs du -ck | tail -n 1 | cut -f 1)
	say "$LIB $4 for $ARCH built in ${_secs}s ($_kb kB of .a)"
}

# ---------------------------------------------------------------- main

for a in $ARCHES; do
	host_of "$a" >/dev/null
	command -v "$(host_of "$a")-gcc" >/dev/null ||
		die "$(host_of "$a")-gcc is missing: install gcc-mingw-w64-$(echo "$a" | tr _ -) (deploy/install-deps.sh does)"
done
if ! mkdir -p "$CACHE/src" 2>/dev/null || [ ! -w "$CACHE" ]; then
	die "cannot write $CACHE: run as root, or set VIGIL_WINDOWS_CACHE to a directory of yours"
fi
# One build at a time per cache: a second make waits for the first.
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
	say "waiting for another build of $CACHE"
	flock 9
fi

t_start=$(date +%s)
ensure_deb_src
for lib in $LIBS; do
	pkg=$lib
	chosen=""
	vs=$(versions "$pkg")
	[ -n "$vs" ] || die "apt knows no source package $pkg (apt-get update?)"
	# The newest version apt knows, unless the archive does not serve it:
	# then the newest it does, said loudly (the stamp records which).
	for v in $vs; do
		ok=1
		for a in $ARCHES; do
			built "$lib" "$a" "$pkg" "$v" || { ok=0; break; }
		done
		if [ "$ok" = 1 ] || fetch "$pkg" "$v"; then
			chosen=$v
			break
		fi
		echo "build-deps: WARNING: the archive did not serve $pkg $v ($(grep -m 1 -o '[0-9][0-9][0-9] [A-Za-z ]*' "$CACHE/src/fetch.log" || echo 'download failed')); trying an older version" >&2
	done
	[ -n "$chosen" ] || die "no version of the source package $pkg could be fetched (see $CACHE/src/fetch.log)"
	[ "$chosen" = "$(echo "$vs" | head -n 1)" ] ||
		echo "build-deps: WARNING: using $pkg $chosen, not the newest Debian version $(echo "$vs" | head -n 1)" >&2
	up=${chosen#*:}
	up=${up%-*}
	# shellcheck disable=SC2254
	case $up in
	$(upstream_of "$lib")) ;;
	*) die "$pkg $chosen is not the series $(upstream_of "$lib") this script builds: update its recipe" ;;
	esac
	for a in $ARCHES; do
		if built "$lib" "$a" "$pkg" "$chosen"; then
			continue
		fi
		say "building $lib $chosen for $a"
		build "$lib" "$a" "$pkg" "$chosen"
	done
done
# What every Windows build of Vigil compiles with, in one place
# (pkg-config --cflags vigil-windows): the oldest Windows supported, and
# mingw-w64's own C99 printf family, since msvcrt's knows no %zu or %lld.
for a in $ARCHES; do
	cat >"$CACHE/$a/lib/pkgconfig/vigil-windows.pc.tmp" <<EOF
Name: vigil-windows
Description: What Vigil's Windows build compiles for: Windows 7 and later, C99 stdio
Version: $WINNT
Cflags: -D_WIN32_WINNT=$WINNT -D__USE_MINGW_ANSI_STDIO=1
EOF
	mv "$CACHE/$a/lib/pkgconfig/vigil-windows.pc.tmp" "$CACHE/$a/lib/pkgconfig/vigil-windows.pc"
done
rm -rf "$CACHE/work"
say "$CACHE ready for $ARCHES in $(($(date +%s) - t_start))s"
