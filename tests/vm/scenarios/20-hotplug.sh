#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Scenarios 2 to 4: a GPU card (qxl 1b36:0100 with a qemu-xhci USB
# controller, 1b36:000d, as function 1) hot-plugged into an empty PCIe slot
# while the monitor runs with "id = 1b36:0100" (companions = slot, the
# default). Every bind uevent
# is recorded, so a driver that took a function and let it go shows too.
# shellcheck disable=SC2016 # single-quoted scripts run in the guest

# The card's configuration; $1 is the unbind = value.
hp_conf() {
	vm_conf <<-EOF
		[binder]
		unbind = $1
		[devices]
		id = 1b36:0100
	EOF
	vm_enable vfio-binder-monitor.service
}

# hp_plug: the card into hp1, the record running; sets GPU and USB, and
# waits until both functions held still.
hp_plug() {
	vm_uevents_start || return
	GPU=$(vm_plug_card c1 hp1) || return
	USB=${GPU%.0}.1
	vm_settle "$GPU" "$USB" || echo "# $VM_NAME: the functions' drivers did not hold still for 2 s within 60 s"
}

vm_scenario hotplug-vfio sc_hotplug_vfio "a card plugged with its native drivers not loaded ends whole on vfio-pci"
sc_hotplug_vfio() {
	hp_conf no
	vm_boot || return
	vm_check "before: qxl and xhci_pci are not loaded" \
		'! [[ -d /sys/module/qxl || -d /sys/module/xhci_pci ]]'
	hp_plug || return
	vm_expect "$GPU=vfio-pci" "$USB=vfio-pci"
	vm_expect_binds "$GPU" vfio-pci "$USB" vfio-pci
	# udev did load the native drivers by modalias: the monitor won a race
	# that was run, not one that never started.
	vm_check "udev loaded qxl and xhci_pci for the card (the race was real)" \
		'for m in qxl xhci_pci; do [[ -d /sys/module/$m ]] || { echo "$m not loaded"; exit 1; }; done'
}

vm_scenario hotplug-host-keeps sc_hotplug_host_keeps \
	"xhci_pci loaded first, unbind = no: the card stays whole with the host"
sc_hotplug_host_keeps() {
	hp_conf no
	vm_boot || return
	vm_check "before: xhci_pci loaded, qxl not" \
		'modprobe xhci_pci && [[ -d /sys/module/xhci_pci && ! -d /sys/module/qxl ]]'
	hp_plug || return
	# The USB controller went to xhci_hcd as the kernel added it; under
	# unbind = no the binder may not take it, and a card is not split: the
	# GPU stays with the host too (qxl, which udev loads), and no
	# driver_override is left on either function.
	vm_expect "$GPU=qxl" "$USB=xhci_hcd"
	vm_expect_binds "$GPU" qxl "$USB" xhci_hcd
}

vm_scenario hotplug-unbind sc_hotplug_unbind "xhci_pci loaded first, unbind = yes: the card ends whole on vfio-pci"
sc_hotplug_unbind() {
	hp_conf yes
	vm_boot || return
	vm_check "before: xhci_pci loaded, qxl not" \
		'modprobe xhci_pci && [[ -d /sys/module/xhci_pci && ! -d /sys/module/qxl ]]'
	hp_plug || return
	vm_expect "$GPU=vfio-pci" "$USB=vfio-pci"
	# The USB controller was xhci_hcd's first: taken from it, not raced.
	vm_expect_binds "$GPU" vfio-pci "$USB" "xhci_hcd vfio-pci"
}
