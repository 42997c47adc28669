#!/bin/busybox sh
# /init of the QEMU guest of t10_usb_qemu.sh. Loads the USB modules, runs the
# agent (its log goes to the serial console), and reports on the console, as
# lines starting with "GUEST:", what the host checks: when the agent is ready,
# each time a SCSI disk appears or disappears, and for each device the agent
# deauthorized, that its interfaces are gone and no disk is left.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /tmp /var/lib/vigil-agent /var/log
for m in $(cat /modules/order); do
	insmod "/modules/$m" 2>/dev/null || echo "GUEST: insmod $m failed (ignored)"
done
: >/var/log/test.log

vigil-agent -d -v -f /etc/vigil/agent.conf 2>&1 | tee /tmp/agent.log &

# The agent is ready when it says so; this loop is bounded by the host's timeout.
until grep -q "starting" /tmp/agent.log 2>/dev/null; do sleep 0.1; done
echo "GUEST: ready"

disks=""
reported=" "
while :; do
	now=$(cd /sys/block 2>/dev/null && ls -d sd* 2>/dev/null | tr '\n' ' ')
	if [ "$now" != "$disks" ]; then
		echo "GUEST: disks now [${now% }]"
		disks=$now
	fi
	for d in /sys/bus/usb/devices/*; do
		name=${d##*/}
		case $name in *:*|usb*) continue ;; esac
		[ "$(cat "$d/authorized" 2>/dev/null)" = 0 ] || continue
		serial=$(cat "$d/serial" 2>/dev/null)
		case $reported in *" $name "*) continue ;; esac
		# Deauthorized: once the interfaces are gone the SCSI host is gone too.
		ls -d "$d/$name":* >/dev/null 2>&1 && continue
		if ls -d /sys/block/sd* >/dev/null 2>&1; then
			echo "GUEST: $serial deauthorized but a disk is still there"
		else
			echo "GUEST: $serial deauthorized: authorized=0, no interfaces, no disk"
		fi
		reported="$reported$name "
	done
	# A port used again later is a new device.
	for name in $reported; do
		[ -e "/sys/bus/usb/devices/$name" ] || reported=$(echo "$reported" | sed "s/ $name / /")
	done
	sleep 0.1
done
