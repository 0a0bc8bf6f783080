#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario 7 (issue 14): reserve and release on a real kernel. Cold-plugged:
# the boot VGA (QEMU's VGA, bochs-drm) at 00:01.0, and behind a PCIe root
# port a card of two functions in one slot, qxl (1b36:0100, the DRM driver
# qxl) and qemu-xhci (1b36:000d, xhci_hcd of module xhci_pci): one vendor,
# so to the binder the USB controller is the GPU's companion, as a real
# card's USB-C controller is. Nothing is selected at boot, so the native
# drivers bind. "softdep qxl pre: bochs" makes the boot VGA's framebuffer
# fb0 every time, so the console is on it and not on the card (udev would
# otherwise load the two in either order).
# shellcheck disable=SC2016 # single-quoted scripts run in the guest

vm_scenario reserve-release sc_reserve_release \
	"reserve and release a card at runtime: whole, refused while held, back to its native drivers"
sc_reserve_release() {
	local gpu usb card group t0
	vm_qemu_args -device VGA,bus=pcie.0,addr=0x1 \
		-device pcie-root-port,id=rp1,bus=pcie.0,addr=0x4,chassis=9,slot=9 \
		-device qxl,id=qxl,bus=rp1,addr=0x0.0,multifunction=on,ram_size_mb=8,vram_size_mb=8,vgamem_mb=4 \
		-device qemu-xhci,id=xhci,bus=rp1,addr=0x0.1
	vm_file /etc/modprobe.d/vmtest-fb-order.conf <<<'softdep qxl pre: bochs'
	# (not through a pipe: vm_conf must run in this shell to record the file)
	vm_conf <<<$'[binder]\nunbind = no'
	vm_boot || return
	t0=$SECONDS
	gpu=$(vm_pci_addr qxl) || { fail "$VM_NAME: QEMU does not list the qxl card"; return 1; }
	usb=${gpu%.0}.1
	vm_settle "$gpu" "$usb" 0000:00:01.0
	vm_expect 0000:00:01.0=bochs-drm "$gpu=qxl" "$usb=xhci_hcd"
	vm_check "status with nothing configured: exit 0" 'vfio-binder status'

	# The boot VGA: refused without --force; the framebuffer console found on it, not on the card.
	vm_check "reserve of the boot VGA: exit 1, refused, fbcon on /dev/fb0 named, nothing written" '
		vfio-binder reserve --json 0000:00:01.0 >/run/out 2>/run/err; rc=$?; cat /run/out /run/err
		[[ $rc == 1 ]] && grep -q "the boot VGA, the host'\''s console: '\''reserve --force'\'' takes it" /run/err &&
		grep -q "\"kind\": \"vtcon\", \"pid\": null, \"command\": null, \"node\": \"vtcon[0-9]*\", \"where\": \"/dev/fb0\"" /run/out &&
		[[ $(cat /sys/bus/pci/devices/0000:00:01.0/driver_override) == "(null)" ]]'

	# A process with the card's DRM node open: reserve refuses, names it and its unit, writes nothing.
	card=$(vm_run "ls /sys/bus/pci/devices/$gpu/drm | grep -m1 '^card'")
	vm_run "systemd-run --quiet --unit=vmtest-holder bash -c 'exec 3</dev/dri/$card; exec sleep infinity' &&
		for ((i = 0; i < 50; i++)); do ls -l /proc/\$(systemctl show -P MainPID vmtest-holder)/fd 2>/dev/null | grep -q /dev/dri/$card && exit; sleep 0.1; done; exit 1" ||
		fail "$VM_NAME: the holder did not start"
	vm_check "reserve while sleep holds /dev/dri/$card: exit 1, named with its fix" "
		vfio-binder reserve $gpu 2>/run/err; rc=\$?; cat /run/err
		[[ \$rc == 1 ]] && grep -q '^vfio-binder: $gpu \[1b36:0100\]: held by sleep (pid [0-9]*) through /dev/dri/$card; stop it: systemctl stop vmtest-holder.service$' /run/err"
	vm_expect "$gpu=qxl" "$usb=xhci_hcd"
	vm_run 'systemctl stop vmtest-holder.service'

	# reserve: both functions to vfio-pci (the USB controller follows its GPU, as its companion).
	vm_check "reserve $gpu: exit 0" "vfio-binder reserve $gpu"
	vm_settle "$gpu" "$usb"
	vm_expect "$gpu=vfio-pci" "$usb=vfio-pci"
	vm_check "status after reserve: exit 0, the card reserved at runtime" "
		vfio-binder status >/run/st; rc=\$?; cat /run/st
		[[ \$rc == 0 ]] && grep -q '^$usb \[1b36:000d\] ok (reserved at runtime by .reserve $gpu.)\$' /run/st"

	# A process with the VFIO group open (a guest): release refuses, and does not hang.
	group=$(vm_run "basename \$(readlink /sys/bus/pci/devices/$gpu/iommu_group)")
	vm_run "systemd-run --quiet --unit=vmtest-guest bash -c 'exec 3<>/dev/vfio/$group; exec sleep infinity' &&
		for ((i = 0; i < 50; i++)); do ls -l /proc/\$(systemctl show -P MainPID vmtest-guest)/fd 2>/dev/null | grep -q /dev/vfio/$group && exit; sleep 0.1; done; exit 1" ||
		fail "$VM_NAME: the VFIO group holder did not start"
	vm_check "release while sleep holds /dev/vfio/$group: exit 1 within 30 s, named" "
		timeout 30 vfio-binder release $gpu 2>/run/err; rc=\$?; cat /run/err
		[[ \$rc == 1 ]] && grep -q 'held by sleep (pid [0-9]*) through /dev/vfio/$group; stop it: systemctl stop vmtest-guest.service' /run/err"
	vm_expect "$gpu=vfio-pci" "$usb=vfio-pci"
	vm_run 'systemctl stop vmtest-guest.service'

	# release with the native modules unloaded: loaded again by modalias, and bound.
	vm_check "qxl and xhci_pci unloaded" 'modprobe -r qxl xhci_pci && ! [[ -d /sys/module/qxl || -d /sys/module/xhci_pci ]]'
	vm_check "release $gpu: exit 0, each function with the driver it ended on" "
		vfio-binder release $gpu 2>/run/err; rc=\$?; cat /run/err
		[[ \$rc == 0 ]] && grep -q '^vfio-binder: $gpu \[1b36:0100\] -> qxl (released)$' /run/err &&
		grep -q '^vfio-binder: $usb \[1b36:000d\] -> xhci_hcd (released)$' /run/err"
	vm_settle "$gpu" "$usb"
	vm_expect "$gpu=qxl" "$usb=xhci_hcd"
	vm_check "release loaded qxl and xhci_pci through libkmod" \
		'[[ -d /sys/module/qxl && -d /sys/module/xhci_pci ]]'

	# The card configured now: status tells a release on purpose from a native driver that won.
	vm_run "printf '[devices]\ndevice = $gpu\n' >/etc/vfio.conf"
	vm_check "status, card configured and released at runtime: exit 0" "
		vfio-binder status >/run/st; rc=\$?; cat /run/st
		[[ \$rc == 0 ]] && grep -q '^$gpu \[1b36:0100\] released at runtime: on qxl, by .release $gpu. (device entry)$' /run/st"
	vm_run 'rm /run/vfio-binder/runtime'
	vm_check "status without the record (the native driver won): exit 1" "
		vfio-binder status >/run/st; rc=\$?; cat /run/st
		[[ \$rc == 1 ]] && grep -q '^$gpu \[1b36:0100\] bound to qxl (device entry)$' /run/st"
	vm_check "the kernel log has one line per action" "
		dmesg | grep -q 'vfio-binder: $gpu \[1b36:0100\]: unbound from qxl' &&
		dmesg | grep -q 'vfio-binder: $gpu \[1b36:0100\] -> vfio-pci' &&
		dmesg | grep -q 'vfio-binder: $gpu \[1b36:0100\]: released: driver_override cleared, unbound from vfio-pci'"
	echo "# $VM_NAME: the steps after the boot took $((SECONDS - t0)) s"
}
