#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Scenarios 2 to 4 (3b too): a GPU card (qxl 1b36:0100 with a qemu-xhci USB
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

# hp_no_qxl: udev will not load qxl by modalias in this boot (the GPU stays
# driverless until a scenario loads qxl itself).
hp_no_qxl() {
	vm_file /etc/modprobe.d/vmtest-no-qxl.conf <<<"blacklist qxl"
}

# hp_boot_xhci: boots, then loads xhci_pci, so that the kernel binds the
# card's USB function as it adds it; qxl is not loaded.
hp_boot_xhci() {
	vm_boot || return
	vm_check "before: xhci_pci loaded, qxl not" \
		'modprobe xhci_pci && [[ -d /sys/module/xhci_pci && ! -d /sys/module/qxl ]]'
}

# hp_freeze: stops the monitor (SIGSTOP) until hp_thaw. The kernel adds a
# slot's functions before it attaches a driver to either; a monitor that
# looks in between takes a function no driver holds yet (hotplug-race).
# A stopped monitor sees the card only after the kernel is done, as on a
# busy system: the scenario then knows which functions a driver holds.
hp_freeze() {
	vm_check "the monitor is stopped (SIGSTOP)" \
		'systemctl kill -s SIGSTOP vfio-binder-monitor.service &&
		 pid=$(systemctl show -P MainPID vfio-binder-monitor.service) &&
		 for ((i = 0; i < 50; i++)); do
			grep -q "^State:.*stopped" /proc/$pid/status && exit 0; sleep 0.1
		 done; exit 1'
}

# hp_thaw DESCRIPTION LINE: resumes the monitor and waits (30 s at most)
# until its journal has LINE (a fixed string).
hp_thaw() {
	local needle
	needle=$(printf %q "$2")
	vm_check "$1" \
		'systemctl kill -s SIGCONT vfio-binder-monitor.service &&
		 for ((i = 0; i < 150; i++)); do
			journalctl -b --no-pager -u vfio-binder-monitor | grep -qF -e '"$needle"' && exit 0
			sleep 0.2
		 done; exit 1'
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
	"xhci_pci bound the USB function before the monitor looked, unbind = no: the card stays whole with the host"
sc_hotplug_host_keeps() {
	hp_conf no
	# udev must not load qxl by modalias: the GPU stays driverless, so the
	# monitor has a function it could take and must not.
	hp_no_qxl
	hp_boot_xhci || return
	hp_freeze || return
	hp_plug || return
	vm_expect "$GPU=none" "$USB=xhci_hcd"
	hp_thaw "the monitor resumes (SIGCONT) and holds the GPU back for its USB function" \
		"$GPU [1b36:0100]: not taken: its card's $USB is not taken either" || return
	vm_settle "$GPU" "$USB"
	# Under unbind = no the binder may not take the USB controller, and a
	# card is not split: the GPU stays with the host, no driver_override is
	# left on either function, and its native driver takes it when loaded.
	vm_expect "$GPU=none" "$USB=xhci_hcd"
	vm_check "modprobe qxl: the host's driver takes the GPU" 'modprobe qxl' || return
	vm_settle "$GPU" "$USB"
	vm_expect "$GPU=qxl" "$USB=xhci_hcd"
	vm_expect_binds "$GPU" qxl "$USB" xhci_hcd
}

vm_scenario hotplug-race sc_hotplug_race \
	"xhci_pci loaded, unbind = no, no delay: whichever side wins the kernel's race, the card ends whole"
sc_hotplug_race() {
	hp_conf no
	hp_boot_xhci || return
	hp_plug || return
	# The kernel adds both functions before it attaches a driver to either
	# (pciehp: scan the slot, assign resources, then pci_bus_add_devices).
	# A monitor that judges the slot in that window takes both functions,
	# which no driver held: whole on vfio-pci. One that judges it after
	# xhci_hcd took the USB function leaves both with the host. Either is
	# whole; what may not happen is a split, or under unbind = no a
	# function taken from the driver that held it.
	local lines g u
	lines=$(vm_functions "$GPU" "$USB") || { fail "$VM_NAME: cannot read the functions' drivers"; return 1; }
	g=$(awk -v a="$GPU" '$1 == a { print $2 }' <<<"$lines")
	u=$(awk -v a="$USB" '$1 == a { print $2 }' <<<"$lines")
	echo "# $VM_NAME: GPU on $g, USB on $u"
	if [[ $g == vfio-pci ]]; then
		vm_expect "$GPU=vfio-pci" "$USB=vfio-pci"
		vm_expect_binds "$GPU" vfio-pci "$USB" vfio-pci
	else
		vm_expect "$GPU=qxl" "$USB=xhci_hcd"
		vm_expect_binds "$USB" xhci_hcd
	fi
}

vm_scenario hotplug-unbind sc_hotplug_unbind "xhci_pci loaded first, unbind = yes: the card ends whole on vfio-pci"
sc_hotplug_unbind() {
	hp_conf yes
	# qxl stays unloaded: the binder would unbind it, and Debian 12's qxl
	# oopses when unbound (doc/testing.md).
	hp_no_qxl
	hp_boot_xhci || return
	hp_freeze || return
	hp_plug || return
	vm_expect "$GPU=none" "$USB=xhci_hcd"
	hp_thaw "the monitor resumes (SIGCONT) and takes the USB function from xhci_hcd" \
		"$USB [1b36:000d]: unbound from xhci_hcd" || return
	vm_settle "$GPU" "$USB"
	vm_expect "$GPU=vfio-pci" "$USB=vfio-pci"
	# The USB controller was xhci_hcd's first: taken from it, not raced.
	vm_expect_binds "$GPU" vfio-pci "$USB" "xhci_hcd vfio-pci"
}
