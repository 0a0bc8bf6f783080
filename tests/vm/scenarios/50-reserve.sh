#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario 7 (issue 14): reserve and release on a real kernel. Cold-plugged:
# the boot VGA (QEMU's cirrus-vga, DRM driver cirrus) at 00:01.0, and behind
# a PCIe root port a card of two functions in one slot, both bochs-display
# (1234:1111, bochs-drm): one vendor, so to the binder the second head is
# the GPU's companion, as a real card's audio or USB-C function is. Nothing
# is selected at boot, so the native drivers bind. "softdep bochs pre:
# cirrus" makes the boot VGA's framebuffer fb0 every time, so the console is
# on it and not on the card (udev would otherwise load the two in either
# order). Not qxl: Debian 12's qxl leaves its IRQ handler registered when it
# is unbound, and the next interrupt or probe oopses (seen in CI); bochs has
# no interrupt.
# shellcheck disable=SC2016 # single-quoted scripts run in the guest

vm_scenario reserve-release sc_reserve_release \
	"reserve and release a card at runtime: whole, refused while held, back to its native drivers"
sc_reserve_release() {
	local gpu head card group t0
	vm_qemu_args -device cirrus-vga,bus=pcie.0,addr=0x1 \
		-device pcie-root-port,id=rp1,bus=pcie.0,addr=0x4,chassis=9,slot=9 \
		-device bochs-display,id=gpu,bus=rp1,addr=0x0.0,multifunction=on,vgamem=4194304 \
		-device bochs-display,id=head2,bus=rp1,addr=0x0.1,vgamem=4194304
	vm_file /etc/modprobe.d/vmtest-fb-order.conf <<<'softdep bochs pre: cirrus'
	# (not through a pipe: vm_conf must run in this shell to record the file)
	vm_conf <<<$'[binder]\nunbind = no'
	vm_boot || return
	t0=$SECONDS
	gpu=$(vm_pci_addr gpu) || { fail "$VM_NAME: QEMU does not list the card"; return 1; }
	head=${gpu%.0}.1
	vm_settle "$gpu" "$head" 0000:00:01.0
	vm_expect 0000:00:01.0=cirrus "$gpu=bochs-drm" "$head=bochs-drm"
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
		[[ \$rc == 1 ]] && grep -q '^vfio-binder: $gpu \[1234:1111\]: held by sleep (pid [0-9]*) through /dev/dri/$card; stop it: systemctl stop vmtest-holder.service$' /run/err"
	vm_expect "$gpu=bochs-drm" "$head=bochs-drm"
	vm_run 'systemctl stop vmtest-holder.service'

	# reserve: both functions to vfio-pci (the second head follows its GPU, as its companion).
	vm_check "reserve $gpu: exit 0" "vfio-binder reserve $gpu"
	vm_settle "$gpu" "$head"
	vm_expect "$gpu=vfio-pci" "$head=vfio-pci"
	vm_check "status after reserve: exit 0, the card reserved at runtime" "
		vfio-binder status >/run/st; rc=\$?; cat /run/st
		[[ \$rc == 0 ]] && grep -q '^$head \[1234:1111\] ok (reserved at runtime by .reserve $gpu.)\$' /run/st"

	# A process with the VFIO group open (a guest): release refuses, and does not hang.
	group=$(vm_run "basename \$(readlink /sys/bus/pci/devices/$gpu/iommu_group)")
	vm_run "systemd-run --quiet --unit=vmtest-guest bash -c 'exec 3<>/dev/vfio/$group; exec sleep infinity' &&
		for ((i = 0; i < 50; i++)); do ls -l /proc/\$(systemctl show -P MainPID vmtest-guest)/fd 2>/dev/null | grep -q /dev/vfio/$group && exit; sleep 0.1; done; exit 1" ||
		fail "$VM_NAME: the VFIO group holder did not start"
	vm_check "release while sleep holds /dev/vfio/$group: exit 1 within 30 s, named" "
		timeout 30 vfio-binder release $gpu 2>/run/err; rc=\$?; cat /run/err
		[[ \$rc == 1 ]] && grep -q 'held by sleep (pid [0-9]*) through /dev/vfio/$group; stop it: systemctl stop vmtest-guest.service' /run/err"
	vm_expect "$gpu=vfio-pci" "$head=vfio-pci"
	vm_run 'systemctl stop vmtest-guest.service'

	# release with the card's module unloaded: loaded again by modalias
	# through libkmod, and bound.
	vm_check "bochs unloaded" 'modprobe -r bochs && ! [[ -d /sys/module/bochs ]]'
	vm_check "release $gpu: exit 0, each function with the driver it ended on" "
		vfio-binder release $gpu 2>/run/err; rc=\$?; cat /run/err
		[[ \$rc == 0 ]] && grep -q '^vfio-binder: $gpu \[1234:1111\] -> bochs-drm (released)$' /run/err &&
		grep -q '^vfio-binder: $head \[1234:1111\] -> bochs-drm (released)$' /run/err"
	vm_settle "$gpu" "$head"
	vm_expect "$gpu=bochs-drm" "$head=bochs-drm"
	vm_check "release loaded bochs through libkmod" '[[ -d /sys/module/bochs ]]'

	# The card configured now: status tells a release on purpose from a native driver that won.
	vm_run "printf '[devices]\ndevice = $gpu\n' >/etc/vfio.conf"
	vm_check "status, card configured and released at runtime: exit 0" "
		vfio-binder status >/run/st; rc=\$?; cat /run/st
		[[ \$rc == 0 ]] && grep -q '^$gpu \[1234:1111\] released at runtime: on bochs-drm, by .release $gpu. (device entry)$' /run/st"
	vm_run 'rm /run/vfio-binder/runtime'
	vm_check "status without the record (the native driver won): exit 1" "
		vfio-binder status >/run/st; rc=\$?; cat /run/st
		[[ \$rc == 1 ]] && grep -q '^$gpu \[1234:1111\] bound to bochs-drm (device entry)$' /run/st"
	vm_check "the kernel log has one line per action" "
		dmesg | grep -q 'vfio-binder: $gpu \[1234:1111\]: unbound from bochs-drm' &&
		dmesg | grep -q 'vfio-binder: $gpu \[1234:1111\] -> vfio-pci' &&
		dmesg | grep -q 'vfio-binder: $gpu \[1234:1111\]: released: driver_override cleared, unbound from vfio-pci'"
	echo "# $VM_NAME: the steps after the boot took $((SECONDS - t0)) s"
}
