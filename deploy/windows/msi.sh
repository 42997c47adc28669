#!/bin/sh
# msi.sh ARCH EXE OUT: the Vigil agent's MSI for ARCH (x86_64 or i686) with
# wixl (msitools), from deploy/windows/vigil-agent.wxs: the exe, the shipped
# rules (one File element each, written here), the service. The product's
# upgrade code is fixed per architecture, so that a new MSI replaces the old.
set -eu
ARCH=$1 EXE=$2 OUT=$3
TOP=$(cd "$(dirname "$0")/../.." && pwd)
VERSION=$(sed -n 's/^#define AGENT_VERSION "\(.*\)"/\1/p' "$TOP/agent/agent.h")
case $ARCH in
x86_64) A=x64 PF=ProgramFiles64Folder W64=yes UP=6f1d5a0e-8c3b-4f2a-9d71-3c0e5b7a9a41
	AG=0b7e6c1a-2d4f-4e8b-9a3c-5f1d7e2b8c60 RG=9c2e4a7b-1f3d-4b6e-8a5c-7d9f0e1b2c31 ;;
i686) A=x86 PF=ProgramFilesFolder W64=no UP=2a8c4e6f-1b3d-4f5a-8c7e-9d0b1a2c3e52
	AG=5d3f7b9e-2c4a-4d6f-8b1e-3a5c7e9f1b73 RG=7e1a3c5b-9d2f-4a6c-8e0b-2d4f6a8c0e94 ;;
*) echo "msi.sh: unknown architecture $ARCH" >&2; exit 1 ;;
esac
T=$(mktemp -d "${TMPDIR:-/tmp}/vigil-msi.XXXXXX")
trap 'rm -rf "$T"' EXIT
# wixl takes sources relative to where it runs: everything is copied there.
mkdir -p "$T/rules"
cp "$EXE" "$T/vigil-agent.exe"
for r in "$TOP"/deploy/rules.d/*.rules; do
	n=$(basename "$r")
	cp "$r" "$T/rules/$n"
	printf '        <File Id="rule_%s" Name="%s" Source="rules/%s"/>\n' \
		"$(echo "$n" | tr -c 'A-Za-z0-9_\n' _)" "$n" "$n"
done >"$T/rules.xml"
sed -e "/<!-- RULES -->/r $T/rules.xml" -e '/<!-- RULES -->/d' \
	"$TOP/deploy/windows/vigil-agent.wxs" >"$T/agent.wxs"
OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")
cd "$T"
wixl -a "$A" -D Version="$VERSION" -D UpgradeCode="$UP" -D AgentGuid="$AG" -D RulesGuid="$RG" \
	-D Platform="$A" -D ProgramFilesFolder="$PF" -D Win64="$W64" -D Exe=vigil-agent.exe \
	-o "$OUT.tmp" agent.wxs
# The token is a secret: hidden from the installer's log. wixl (0.101) drops
# Property/@Hidden and CustomAction/@HideTarget, so both are set here: the
# property listed in MsiHiddenProperties, and the action Enroll's type given
# msidbCustomActionTypeHideTarget (0x2000) on top of 3090 (an exe of the File
# table, deferred, not impersonated: as SYSTEM).
msibuild "$OUT.tmp" -q "DELETE FROM Property WHERE Property = 'MsiHiddenProperties'" \
	-q "INSERT INTO Property (Property, Value) VALUES ('MsiHiddenProperties', 'TOKEN')" \
	-q "UPDATE CustomAction SET Type = 11282 WHERE Action = 'Enroll'"
mv "$OUT.tmp" "$OUT"
