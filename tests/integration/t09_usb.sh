# The USB sensor on the host: inside a private network namespace (the uevent
# group is per namespace, so nothing leaks out) a small sender puts
# kernel-format uevents on group 1 while a fake sysfs tree holds the devices'
# attributes. Checks the events at a real collector, the authorized write for
# a blocked stick, no write for a keyboard, a device that waits for its
# interfaces, removal from memory, --list-usb, and that with
# insecure_accept_test_sender off a uevent from a process is dropped and counted.

if [ "$(id -u)" != 0 ]; then
	echo "  SKIP    t09_usb: needs root (unshare -n)" | tee -a "${VIGIL_SKIPS:-/dev/null}"
	exit 0
fi
if [ -z "${VIGIL_T09_NETNS:-}" ]; then
	VIGIL_T09_NETNS=1 exec unshare -n sh "$0" "$@"
fi

. "$(dirname "$0")/lib.sh"
ip link set lo up || fail "cannot bring lo up in the namespace"

SYS=$T/sys
USB1=/devices/pci0000:00/0000:00:14.0/usb1

# dev NAME VENDOR PRODUCT SERIAL MANUFACTURER PRODUCT_NAME NUM_IFACES IFACE_CLASS...
dev() {
	_d="$SYS$USB1/$1"
	mkdir -p "$_d" "$SYS/bus/usb/devices"
	printf '%s\n' "$2" >"$_d/idVendor"
	printf '%s\n' "$3" >"$_d/idProduct"
	printf '%s\n' "$4" >"$_d/serial"
	printf '%s\n' "$5" >"$_d/manufacturer"
	printf '%s\n' "$6" >"$_d/product"
	printf '1\n' >"$_d/busnum"
	printf '%s\n' "${1#1-}" >"$_d/devnum"
	printf '00\n' >"$_d/bDeviceClass"
	printf '%2d\n' "$7" >"$_d/bNumInterfaces"
	printf '1\n' >"$_d/authorized"
	ln -sfn "../../..$USB1/$1" "$SYS/bus/usb/devices/$1"
	shift 7
	_i=0
	for c in "$@"; do
		iface "${_d##*/}" "$_i" "$c"
		_i=$((_i + 1))
	done
}

# iface DEVNAME N CLASS: interface directory DEVNAME:1.N
iface() {
	mkdir -p "$SYS$USB1/$1/$1:1.$2"
	printf '%s\n' "$3" >"$SYS$USB1/$1/$1:1.$2/bInterfaceClass"
}

authorized() {
	cat "$SYS$USB1/$1/authorized"
}

# The sender: kernel-format messages to group 1 from a process (port id != 0).
cat >"$T/uevent.py" <<'EOF'
import socket, sys
kind, action, devpath = sys.argv[1:4]
if kind == "libudev":
    msg = b"libudev\0\xfe\xed\xca\xfe" + b"\0" * 32 + b"ACTION=add\0SUBSYSTEM=usb\0"
else:
    keys = ["ACTION=" + action, "DEVPATH=" + devpath] + sys.argv[4:]
    msg = (action + "@" + devpath + "\0" + "".join(k + "\0" for k in keys)).encode()
s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 15)  # NETLINK_KOBJECT_UEVENT
s.bind((0, 0))
s.sendto(msg, (0, 1))
EOF

# send ACTION DEVNAME [usb_device|usb_interface] [KEY=VALUE...]
send() {
	_a=$1 _n=$2 _t=${3:-usb_device}
	shift 3
	python3 "$T/uevent.py" kernel "$_a" "$USB1/$_n" SUBSYSTEM=usb "DEVTYPE=$_t" \
	    "SEQNUM=$$" "$@" || fail "the uevent sender failed"
}

# A blocked stick, a keyboard, an allowed stick, a BadUSB "stick".
dev 1-1 0781 5567 SN0001 SanDisk "Cruzer Blade" 1 08
dev 1-2 046d c31c "" Logitech "USB Keyboard" 2 03 03
dev 1-3 0951 1666 ALLOWED1 Kingston "DataTraveler 3.0" 1 08
dev 1-4 1234 5678 EVIL01 Generic "Flash Disk" 2 08 03

pki_setup pc-usb
write_collector_conf 0
start_collector
: >"$T/auth.log"
write_agent_conf pc-usb "$PORT" "$T/auth.log"
cat >>"$T/pc-usb/agent.conf" <<EOF

[usb]
policy = block
sysfs_root = $SYS
allow = 0951:1666 046d:c52b
insecure_accept_test_sender = yes
EOF

# --list-usb reads the same tree: a policy can start from what is plugged in.
"$BUILD/vigil-agent" --list-usb --sysfs-root "$SYS" >"$T/list.txt" || fail "--list-usb failed"
grep -qx "0781:5567:SN0001" "$T/list.txt" || fail "--list-usb misses the stick: $(cat "$T/list.txt")"
grep -qx "046d:c31c" "$T/list.txt" || fail "--list-usb misses the keyboard"
[ "$(grep -vc '^#' "$T/list.txt")" = 4 ] || fail "--list-usb lists $(grep -vc '^#' "$T/list.txt") devices, not 4"

# Present at start: remembered; the non-allowed sticks are judged at once.
# Start from an empty bus so every device below arrives by a uevent.
mv "$SYS/bus" "$T/bus.away"
start_agent pc-usb
grep -q "accept_test_sender is on" "$T/agent-pc-usb.log" || fail "no warning about the test switch"
mv "$T/bus.away" "$SYS/bus"

ev() {
	db "select count(*) from events where agent = 'pc-usb' and $1;"
}
ev_is() {
	[ "$(ev "$1")" = "$2" ]
}

send add 1-1 usb_device PRODUCT=781/5567/100 BUSNUM=001 DEVNUM=001
send add 1-1/1-1:1.0 usb_interface INTERFACE=8/6/80
send add 1-2 usb_device PRODUCT=46d/c31c/100
send add 1-3 usb_device PRODUCT=951/1666/100
send add 1-4 usb_device PRODUCT=1234/5678/100
python3 "$T/uevent.py" libudev add x || fail "the libudev sender failed"
python3 "$T/uevent.py" kernel change /devices/virtual/mem/null SUBSYSTEM=mem SEQNUM=1 ||
	fail "the sender failed"

# 1-1: inserted + blocked; 1-2: inserted (spared); 1-3: inserted (allowed);
# 1-4: inserted + badusb + blocked.
wait_for 20 "7 USB events at the collector" ev_is "category = 4" 7
[ "$(authorized 1-1)" = 0 ] || fail "the stick 1-1 was not blocked: authorized is $(authorized 1-1)"
[ "$(authorized 1-4)" = 0 ] || fail "the BadUSB device 1-4 was not blocked"
[ "$(authorized 1-2)" = 1 ] || fail "the keyboard's authorized file was written"
[ "$(authorized 1-3)" = 1 ] || fail "the allowed stick's authorized file was written"

q() {
	db "select $1 from events where agent = 'pc-usb' and $2;"
}
[ "$(q "json_extract(fields, '\$.serial')" "rule = 'usb.blocked' and json_extract(fields, '\$.vendor') = '0781'")" = SN0001 ] ||
	fail "no usb.blocked event with serial SN0001"
[ "$(q severity "rule = 'usb.blocked' and json_extract(fields, '\$.vendor') = '0781'")" = 4 ] ||
	fail "usb.blocked is not high"
[ "$(q "json_extract(fields, '\$.class') || ' ' || severity || ' ' || json_extract(fields, '\$.product_name') || ' ' || json_extract(fields, '\$.interfaces')" \
    "rule = 'usb.inserted' and json_extract(fields, '\$.serial') = 'SN0001'")" = "storage 3 Cruzer Blade 08" ] ||
	fail "the stick's usb.inserted event has the wrong class, severity or fields"
[ "$(q "json_extract(fields, '\$.class') || ' ' || json_extract(fields, '\$.decision') || ' ' || severity" \
    "rule = 'usb.inserted' and json_extract(fields, '\$.vendor') = '046d'")" = "hid spare 1" ] ||
	fail "the keyboard's event is not a spared HID at info"
[ "$(q "json_extract(fields, '\$.allowed')" "rule = 'usb.inserted' and json_extract(fields, '\$.vendor') = '0951'")" = yes ] ||
	fail "the allowed stick is not reported as allowed"
ev_is "rule = 'usb.badusb' and json_extract(fields, '\$.serial') = 'EVIL01' and severity = 4" 1 ||
	fail "no usb.badusb event for the storage+HID device"
ev_is "rule = 'usb.blocked'" 2 || fail "$(ev "rule = 'usb.blocked'") usb.blocked events, not 2"
ev_is "source = 'usb' and summary like 'USB storage device 0781:5567 (SanDisk Cruzer Blade) serial SN0001%'" 2 ||
	fail "the summaries do not name the stick in plain words"

# A device announced before its interfaces exist waits for them: HID first,
# storage later makes it BadUSB, decided when the second interface arrives.
dev 1-5 abcd 1234 LATE01 Acme "Combo" 2 03
send add 1-5 usb_device PRODUCT=abcd/1234/1
wait_for 10 "the agent to wait for 1-5's interfaces" grep -q "1-5 has 1 of 2 interfaces" "$T/agent-pc-usb.log"
ev_is "json_extract(fields, '\$.serial') = 'LATE01'" 0 || fail "1-5 was decided before its interfaces"
iface 1-5 1 08
send add 1-5/1-5:1.1 usb_interface INTERFACE=8/6/80
wait_for 20 "1-5 decided as BadUSB and blocked" ev_is "json_extract(fields, '\$.serial') = 'LATE01' and rule = 'usb.blocked'" 1
[ "$(authorized 1-5)" = 0 ] || fail "1-5 was not blocked"

# Removal: sysfs is gone; the identity comes from memory.
rm -rf "${SYS:?}$USB1/1-1"
send remove 1-1 usb_device PRODUCT=781/5567/100
wait_for 20 "usb.removed for SN0001" ev_is "rule = 'usb.removed' and json_extract(fields, '\$.serial') = 'SN0001' and json_extract(fields, '\$.manufacturer') = 'SanDisk'" 1
total=$(ev "source = 'usb'")
[ "$total" = 11 ] || fail "$total USB events, expected 11"

# The real switch position: a uevent from a process is dropped, counted, logged.
stop_pid "$AGENT_PID"
sed -i 's/^insecure_accept_test_sender = yes/insecure_accept_test_sender = no/' "$T/pc-usb/agent.conf"
: >"$T/agent-pc-usb.log"
start_agent pc-usb
dev 1-6 0781 5567 SPOOF01 SanDisk "Cruzer Blade" 1 08
send add 1-6 usb_device PRODUCT=781/5567/100
wait_for 10 "the spoofed uevent to be dropped" grep -q "from a process, not the kernel.*1 dropped so far" "$T/agent-pc-usb.log"
send add 1-6 usb_device PRODUCT=781/5567/100
wait_for 10 "the second spoofed uevent counted" grep -q "2 dropped so far" "$T/agent-pc-usb.log"
[ "$(authorized 1-6)" = 1 ] || fail "a spoofed uevent blocked a device"
ev_is "json_extract(fields, '\$.serial') = 'SPOOF01'" 0 || fail "a spoofed uevent made an event"
# ... and the count reaches the collector with the next heartbeat.
spoofed_shown() {
	"$BUILD/vigilctl" --json agents | grep '"agent":"pc-usb"' | grep -q '"uevents_spoofed":2'
}
wait_for 20 "vigilctl agents to show 2 spoofed uevents" spoofed_shown
"$BUILD/vigilctl" --csv-no-bom agents | grep "^pc-usb," | grep -Eq ",0,uevents_spoofed=2$" || fail "DROPS is not 0 and COUNTERS does not show uevents_spoofed=2 (spoofed uevents are no dropped events): $("$BUILD/vigilctl" --csv-no-bom agents)"
pass "11 events, 3 blocked, keyboard and allowed stick untouched, late interfaces awaited, spoofed uevents dropped"
