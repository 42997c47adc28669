# The USB sensor in a real kernel: a QEMU guest (TCG, qemu-xhci, the Debian
# kernel, a busybox initramfs with the agent) where usb-storage sticks are
# hot-plugged through the QEMU monitor. policy = block with an allow-list that
# holds one stick: the allowed stick becomes a disk; the stick SN0001 is
# blocked (authorized=0) and no disk is left; every step shows in the agent's
# log (-d -v: each spooled event) on the serial console, read here from guest.log.
. "$(dirname "$0")/lib.sh"

need qemu-system-x86_64 /usr/share/qemu/qboot.rom /bin/busybox cpio modprobe
QEMU=$(command -v qemu-system-x86_64)
KERNEL=$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -n 1)
[ -n "$KERNEL" ] || fail "no /boot/vmlinuz-*-amd64: install the package linux-image-amd64 (deploy/install-deps.sh does)"
KVER=${KERNEL#/boot/vmlinuz-}
[ -d "/lib/modules/$KVER" ] || fail "no modules for $KVER in /lib/modules (package linux-image-amd64)"

# The guest's files: a configuration whose collector is unreachable (the
# spool keeps the events; the log shows them), and certificates to start TLS.
pki_setup pc-guest
F=$T/files
mkdir -p "$F/etc/vigil/pki"
cp "$T/pki/ca.crt" "$F/etc/vigil/pki/ca.crt"
cp "$T/pki/agents/pc-guest.crt" "$F/etc/vigil/pki/agent.crt"
cp "$T/pki/agents/pc-guest.key" "$F/etc/vigil/pki/agent.key"
cat >"$F/etc/vigil/agent.conf" <<EOC
[agent]
state_dir = /var/lib/vigil-agent
unit = qemu-guest

[collector]
address = 127.0.0.1
port = 9
ca = /etc/vigil/pki/ca.crt
cert = /etc/vigil/pki/agent.crt
key = /etc/vigil/pki/agent.key
reconnect_min = 30s
reconnect_max = 60s

[source test]
path = /var/log/test.log

[usb]
policy = block
allow = 46f4:0001:ALLOW1
EOC
sh "$TOP/tests/integration/qemu/mkinitramfs.sh" "$T/initrd.cpio" "$BUILD/vigil-agent" "$KVER" "$F" ||
	fail "the initramfs cannot be built"
truncate -s 8M "$T/allowed.img" "$T/stick.img"

start=$(date +%s)
"$QEMU" -accel tcg -m 512 -smp 1 -nic none -bios /usr/share/qemu/qboot.rom \
	-device qemu-xhci,id=xhci -kernel "$KERNEL" -initrd "$T/initrd.cpio" \
	-append "console=ttyS0 quiet panic=-1" -no-reboot \
	-monitor "unix:$T/mon.sock,server=on,wait=off" -serial "file:$T/guest.log" \
	-display none >"$T/qemu.log" 2>&1 &
QEMU_PID=$!
PIDS="$PIDS $QEMU_PID"

# hmp COMMAND: one human-monitor command; prints its answer.
hmp() {
	python3 - "$T/mon.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
buf = b""
while not buf.endswith(b"(qemu) "):
    buf += s.recv(4096)
s.sendall(sys.argv[2].encode() + b"\n")
buf = b""
while not buf.endswith(b"(qemu) "):
    chunk = s.recv(4096)
    if not chunk:
        break
    buf += chunk
out = buf.decode(errors="replace").replace("\r", "")
lines = [l for l in out.split("\n")[1:] if l and not l.startswith("(qemu)")]
print("\n".join(lines))
PY
}

in_log() {
	grep -q "$1" "$T/guest.log"
}

wait_for 40 "the guest's agent to start" in_log "GUEST: ready"
boot=$(($(date +%s) - start))

# The allowed stick: reported as allowed, becomes a disk; then removed.
hmp "drive_add 0 if=none,id=d2,file=$T/allowed.img,format=raw" >/dev/null
hmp "device_add usb-storage,bus=xhci.0,drive=d2,id=u2,serial=ALLOW1,removable=on" >"$T/hmp.out"
! grep -q . "$T/hmp.out" || fail "device_add: $(cat "$T/hmp.out")"
wait_for 20 "usb.inserted of the allowed stick" in_log "USB event usb.inserted .*serial ALLOW1 inserted: on the allow-list"
wait_for 20 "the allowed stick's disk" in_log "GUEST: disks now \[sda\]"
hmp "device_del u2" >/dev/null
wait_for 20 "usb.removed of the allowed stick" in_log "USB event usb.removed .*serial ALLOW1 removed"
wait_for 20 "the allowed stick's disk to go" sh -c "tail -n 50 '$T/guest.log' | grep 'GUEST: disks now' | tail -n 1 | grep -q 'now \[\]'"

# The stick SN0001 is not on the allow-list: blocked, and no disk is left.
hmp "drive_add 0 if=none,id=d1,file=$T/stick.img,format=raw" >/dev/null
hmp "device_add usb-storage,bus=xhci.0,drive=d1,id=u1,serial=SN0001,removable=on" >"$T/hmp.out"
! grep -q . "$T/hmp.out" || fail "device_add: $(cat "$T/hmp.out")"
wait_for 20 "usb.inserted of SN0001" in_log "USB event usb.inserted .*serial SN0001 inserted: not on the allow-list"
wait_for 20 "usb.blocked of SN0001" in_log "USB event usb.blocked .*serial SN0001 was blocked"
wait_for 20 "the guest to see SN0001 deauthorized" in_log "GUEST: SN0001 deauthorized"
in_log "GUEST: SN0001 deauthorized: authorized=0, no interfaces, no disk" ||
	fail "SN0001 was deauthorized but its disk is still there"
hmp "device_del u1" >/dev/null
wait_for 20 "usb.removed of SN0001" in_log "USB event usb.removed .*serial SN0001 removed"
! in_log "Segmentation\|Kernel panic\|fatal" || fail "the guest or its agent crashed"

hmp "quit" >/dev/null 2>&1 || true
wait "$QEMU_PID" 2>/dev/null || true
pass "guest booted in ${boot}s; allowed stick became sda; SN0001 blocked, no disk; $(($(date +%s) - start))s in QEMU"
