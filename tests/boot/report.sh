#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Test-only, inside the booted test initramfs: once udev has settled, print
# one line per PCI function and the loaded modules to the kernel log (the
# serial console, with timestamps), then power off. The harness parses it.

if command -v udevadm >/dev/null 2>&1; then
	udevadm settle --timeout=60 >/dev/null 2>&1
fi

snapshot() {
	for d in /sys/bus/pci/devices/*; do
		drv=none grp=none bv=- ov=
		[ -e "$d/driver" ] && drv=$(readlink "$d/driver") && drv=${drv##*/}
		[ -e "$d/iommu_group" ] && grp=$(readlink "$d/iommu_group") && grp=${grp##*/}
		[ -e "$d/boot_vga" ] && bv=$(cat "$d/boot_vga")
		[ -e "$d/driver_override" ] && ov=$(cat "$d/driver_override")
		rm=-
		[ -e "$d/reset_method" ] && rm=$(tr ' ' ',' <"$d/reset_method" 2>/dev/null)
		[ "$ov" = "(null)" ] && ov=
		v=$(cat "$d/vendor") dev=$(cat "$d/device")
		echo "VFIO-REPORT ${d##*/} class=$(cat "$d/class") id=${v#0x}:${dev#0x} boot_vga=$bv driver=$drv group=$grp override=${ov:-none} reset=${rm:--}"
	done
	# Whether vfio-pci's [options] reached the module (they do only when
	# the binder loaded it).
	if [ -r /sys/module/vfio_pci/parameters/disable_vga ]; then
		echo "VFIO-PARAM vfio_pci.disable_vga=$(cat /sys/module/vfio_pci/parameters/disable_vga)"
	fi
	printf 'VFIO-MODULES'
	while read -r name _; do
		printf ' %s' "$name"
	done </proc/modules
	echo
}

# udev can still be binding drivers after settle returns (dracut's systemd
# flavour): report only a state that held still for a second, or the last
# one after 30 s.
prev='' i=0
while [ "$i" -lt 30 ]; do
	cur=$(snapshot)
	[ "$cur" = "$prev" ] && break
	prev=$cur
	sleep 1
	i=$((i + 1))
done
echo "VFIO-REPORT-BEGIN stable_after=${i}s" >/dev/kmsg
# The binder's own lines as the kernel log holds them (the console may not
# show them: init can lower the console log level).
dmesg | while IFS= read -r line; do
	case $line in
	*vfio-binder:*) echo "VFIO-KMSG $line" >/dev/kmsg ;;
	esac
done
echo "$cur" | while IFS= read -r line; do
	echo "$line" >/dev/kmsg
done
echo "VFIO-REPORT-END" >/dev/kmsg
sleep 1
echo o >/proc/sysrq-trigger
