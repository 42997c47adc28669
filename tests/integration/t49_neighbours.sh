# The network's neighbours for real (issue 15): in a private network
# namespace, a veth pair whose far end sits in a second namespace this test
# creates; traffic to the far end fills the kernel's neighbour table (ARP and
# IPv6 neighbour discovery), and traffic to an address nobody holds leaves an
# incomplete entry. An agent with [network] neighbours = yes reads that table
# over rtnetlink and reports it; vigilctl compliance lists the far end's MAC as
# "seen on the network, no agent, not declared", seen by the agent, with its
# IPv4 address and the interface's hostile name escaped; the incomplete entry
# and the agent's own MAC are not listed. Marking the MAC not a PC hides it
# (audited), unmarking shows it again, and importing it in the inventory (in
# Windows' form) makes it declared. An agent with neighbours off sends its own
# MACs only.

if [ "$(id -u)" != 0 ]; then
	echo "  SKIP    t49_neighbours: needs root (network namespaces)"
	exit 0
fi
if [ -z "${VIGIL_T49_NETNS:-}" ]; then
	VIGIL_T49_NETNS=1 exec unshare -n sh "$0" "$@"
fi

. "$(dirname "$0")/lib.sh"
need ip

# The far end's namespace, by the name made here, removed on any exit.
PEER=vigil-t49-$$
t49_cleanup() {
	_rc=$?
	ip netns del "$PEER" 2>/dev/null || true
	(exit "$_rc")
	cleanup
}
trap t49_cleanup EXIT

ip link set lo up || fail "cannot bring lo up in the namespace"
ip netns add "$PEER" || fail "cannot create the namespace $PEER"
# An interface name with an escape sequence in it: it must reach people escaped.
IF=$(printf 'v49\033[1m')
ip link add "$IF" type veth peer name v49b netns "$PEER" || fail "cannot create the veth pair"
ip addr add 10.249.0.1/24 dev "$IF"
ip -6 addr add fd49::1/64 dev "$IF" nodad
ip link set "$IF" up
ip -n "$PEER" link set lo up
ip -n "$PEER" addr add 10.249.0.2/24 dev v49b
ip -n "$PEER" -6 addr add fd49::2/64 dev v49b nodad
ip -n "$PEER" link set v49b up
PEER_MAC=$(ip -n "$PEER" link show v49b | awk '/link\/ether/ { print $2 }')
OWN_MAC=$(ip link show "$IF" | awk '/link\/ether/ { print $2 }')
[ -n "$PEER_MAC" ] && [ -n "$OWN_MAC" ] || fail "no MAC on the veth pair"

# poke ADDRESS: one UDP datagram; the kernel resolves the address first.
poke() {
	python3 -c 'import socket, sys
f = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(f, socket.SOCK_DGRAM)
s.sendto(b"vigil t49", (sys.argv[1], 9))' "$1"
}
complete() {
	ip neigh show "$1" | grep -q "lladdr $PEER_MAC .*\(REACHABLE\|STALE\|DELAY\)"
}
incomplete() {
	ip neigh show 10.249.0.3 | grep -q "INCOMPLETE\|FAILED"
}
poke 10.249.0.2
poke fd49::2
poke 10.249.0.3
wait_for 10 "the far end in the neighbour table" complete 10.249.0.2
wait_for 10 "the far end's IPv6 address in the neighbour table" complete fd49::2
wait_for 10 "an incomplete entry for 10.249.0.3" incomplete

pki_setup pc-01 pc-02
write_collector_conf 0
start_collector
ctl() {
	"$BUILD/vigilctl" "$@"
}
: >"$T/auth.log"
write_agent_conf pc-01 "$PORT" "$T/auth.log"
printf '\n[usb]\nenabled = no\n\n[network]\nneighbours = yes\nreport_interval = 1s\n' \
	>>"$T/pc-01/agent.conf"
"$BUILD/vigil-agent" -n -f "$T/pc-01/agent.conf" >/dev/null 2>&1 || fail "the [network] keys are refused"
start_agent pc-01
write_agent_conf pc-02 "$PORT" "$T/auth.log"
printf '\n[usb]\nenabled = no\n' >>"$T/pc-02/agent.conf"
start_agent pc-02

# ---- listed: seen, no agent, not declared ------------------------------------------
listed() {
	ctl --json compliance >"$T/c.json" 2>&1 && grep '"type":"unknown_host"' "$T/c.json" |
		grep -q "\"mac\":\"$PEER_MAC\""
}
wait_for 20 "the far end listed as seen with no agent" listed
LINE=$(grep "\"mac\":\"$PEER_MAC\"" "$T/c.json")
for want in '"ip":"10.249.0.2"' '"seen_by":"pc-01"' '"unit":"test-unit"' \
	'"ifname":"v49\u001b[1m"' '"first_seen":"' '"last_seen":"'; do
	case $LINE in
	*"$want"*) ;;
	*) fail "the unknown host line lacks $want: $LINE" ;;
	esac
done
grep -q '"type":"unknown_hosts","count":1,"listed":1' "$T/c.json" ||
	fail "not one unknown host: $(cat "$T/c.json")"
grep -q "10.249.0.3" "$T/c.json" && fail "the incomplete entry is listed: $(cat "$T/c.json")"
grep -q "$OWN_MAC" "$T/c.json" && fail "the agent's own MAC is listed: $(cat "$T/c.json")"

# The agents' own MACs are stored, pc-01's veth end among them; pc-02 (neighbours
# off) reports its own and no neighbour.
own_stored() {
	[ "$(db "SELECT count(*) FROM agent_macs WHERE agent = 'pc-01' AND mac = '$OWN_MAC'")" = 1 ] &&
		[ "$(db "SELECT count(*) FROM agent_macs WHERE agent = 'pc-02'")" -ge 1 ]
}
wait_for 10 "the agents' own MACs stored" own_stored
[ "$(db "SELECT count(*) FROM neighbours WHERE agent = 'pc-02'")" = 0 ] ||
	fail "pc-02 reported neighbours with neighbours = no"
[ "$(db "SELECT count(*) FROM neighbours WHERE agent = 'pc-01' AND ip LIKE '10.249.0.3%'")" = 0 ] ||
	fail "an incomplete entry was stored"

# For people: the table, escaped, in English and in Vietnamese.
ctl compliance >"$T/c.txt" || fail "vigilctl compliance failed"
grep -q "Seen on the network, no agent, not declared" "$T/c.txt" || fail "no heading: $(cat "$T/c.txt")"
grep "$PEER_MAC" "$T/c.txt" | grep -qF 'v49\x1b[1m' || fail "the interface is not escaped: $(cat "$T/c.txt")"
if grep -q "$(printf '\033')" "$T/c.txt"; then
	fail "an escape byte reached the terminal"
fi
LC_ALL= LANG=C.UTF-8 LANGUAGE=vi ctl compliance >"$T/c-vi.txt" || fail "compliance under LANGUAGE=vi failed"
grep -q "Thấy trên mạng, không có agent, chưa khai báo" "$T/c-vi.txt" ||
	fail "the heading is not Vietnamese: $(cat "$T/c-vi.txt")"

# ---- not a PC: hidden, audited; and back -------------------------------------------
ctl inventory ignore "$(echo "$PEER_MAC" | tr a-f A-F)" --note "the router" >/dev/null ||
	fail "inventory ignore failed"
ctl --json compliance >"$T/c2.json"
grep -q "$PEER_MAC" "$T/c2.json" && fail "a MAC marked not a PC is still listed"
ctl --json inventory ignored | grep -q "\"mac\":\"$PEER_MAC\",\"note\":\"the router\"" ||
	fail "inventory ignored does not show the mark: $(ctl --json inventory ignored)"
[ "$(db "SELECT count(*) FROM audit WHERE detail LIKE 'MAC $PEER_MAC marked not a PC%'")" = 1 ] ||
	fail "the mark is not audited"
ctl inventory unignore "$PEER_MAC" >/dev/null || fail "inventory unignore failed"
listed || fail "the MAC is not listed again after unignore"
ctl inventory unignore "$PEER_MAC" >/dev/null 2>&1 && fail "unignoring an unmarked MAC succeeded"
ctl inventory ignore not-a-mac >/dev/null 2>&1 && fail "a bad MAC was accepted"

# ---- declared: imported in the inventory, in Windows' form ---------------------------
{
	echo "unit,name,mac"
	echo "test-unit,pc-may-in,$(echo "$PEER_MAC" | tr a-f: A-F-)"
} >"$T/inventory.csv"
ctl inventory import "$T/inventory.csv" | grep -q "1 PCs of 1 units imported" || fail "import failed"
ctl --json compliance >"$T/c3.json"
grep -q "$PEER_MAC" "$T/c3.json" && fail "a declared MAC is still listed: $(cat "$T/c3.json")"
grep -q '"type":"unknown_host' "$T/c3.json" && fail "unknown hosts are left: $(cat "$T/c3.json")"
# A bad MAC in a file: file:line, before the line is sent.
printf 'unit,name,mac\ntest-unit,pc-x,52:54:00:zz:00:01\n' >"$T/bad.csv"
out=$(ctl inventory import "$T/bad.csv" 2>&1) && fail "a bad MAC was imported"
echo "$out" | grep -q "$T/bad.csv:2: " || fail "the error does not say file:line: $out"

pass "a real neighbour over a veth listed as not declared (escaped interface, not the agent's own MAC), ignored and back, declared once imported; a bad MAC is file:line"
