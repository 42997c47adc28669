#!/bin/sh
# The QEMU guest's initramfs (uncompressed newc cpio): static busybox, the
# agent with the shared libraries ldd names, the Debian kernel's modules for
# xhci, USB storage and SCSI disks (in insmod order), guest-init.sh as /init,
# and the files of FILES_DIR (configuration, certificates) copied to /.
#
#   mkinitramfs.sh OUT.cpio AGENT KERNEL_VERSION FILES_DIR
set -eu
out=$1 agent=$2 kver=$3 files=$4
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d /tmp/vigil-initramfs.XXXXXX)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root/bin" "$root/modules" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" \
	"$root/etc" "$root/var/log" "$root/var/lib"
cp /bin/busybox "$root/bin/busybox"
cp "$agent" "$root/bin/vigil-agent"
for lib in $(ldd "$agent" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done

: >"$root/modules/order"
for m in xhci_pci usb_storage sd_mod; do
	modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
	cp "$ko" "$root/modules/"
	basename "$ko" >>"$root/modules/order"
done

cp "$here/guest-init.sh" "$root/init"
chmod 0755 "$root/init"
cp -R "$files/." "$root/"
(cd "$root" && find . | cpio -o -H newc --quiet) >"$out"
