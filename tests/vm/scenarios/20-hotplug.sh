#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Scenarios 2 to 4: a GPU card (bochs-display 1234:1111 with ich9-intel-hda
# as function 1) hot-plugged into an empty PCIe slot while the monitor runs
# with "id = 1234:1111" (companions = slot, the default). Every bind uevent
# is recorded, so a driver that took a function and let it go shows too.
# shellcheck disable=SC2016 # single-quoted scripts run in the guest

# The card's configuration; $1 is the unbind = value.
hp_conf() {
	vm_conf <<-EOF
		[binder]
		unbind = $1
		[devices]
		id = 1234:1111
	EOF
	vm_enable vfio-binder-monitor.service
}

# hp_plug: the card into hp1, the record running; sets GPU and AUDIO, and
# waits until both functions held still.
hp_plug() {
	vm_uevents_start || return
	GPU=$(vm_plug_card c1 hp1) || return
	AUDIO=${GPU%.0}.1
	vm_settle "$GPU" "$AUDIO" || echo "# $VM_NAME: the functions' drivers did not hold still for 2 s within 60 s"
}

vm_scenario hotplug-vfio sc_hotplug_vfio "a card plugged with its native drivers not loaded ends whole on vfio-pci"
sc_hotplug_vfio() {
	hp_conf no
	vm_boot || return
	vm_check "before: bochs and snd_hda_intel are not loaded" \
		'! [[ -d /sys/module/bochs || -d /sys/module/snd_hda_intel ]]'
	hp_plug || return
	vm_expect "$GPU=vfio-pci" "$AUDIO=vfio-pci"
	vm_expect_binds "$GPU" vfio-pci "$AUDIO" vfio-pci
	# udev did load the native drivers by modalias: the monitor won a race
	# that was run, not one that never started.
	vm_check "udev loaded bochs and snd_hda_intel for the card (the race was real)" \
		'for m in bochs snd_hda_intel; do [[ -d /sys/module/$m ]] || { echo "$m not loaded"; exit 1; }; done'
}

vm_scenario hotplug-host-keeps sc_hotplug_host_keeps \
	"snd_hda_intel loaded first, unbind = no: the card stays whole with the host"
sc_hotplug_host_keeps() {
	hp_conf no
	vm_boot || return
	vm_check "before: snd_hda_intel loaded, bochs not" \
		'modprobe snd_hda_intel && [[ -d /sys/module/snd_hda_intel && ! -d /sys/module/bochs ]]'
	hp_plug || return
	# The audio function went to snd_hda_intel as the kernel added it; under
	# unbind = no the binder may not take it, and a card is not split: the
	# GPU stays with the host too (bochs-drm, which udev loads), and no
	# driver_override is left on either function.
	vm_expect "$GPU=bochs-drm" "$AUDIO=snd_hda_intel"
	vm_expect_binds "$GPU" bochs-drm "$AUDIO" snd_hda_intel
}

vm_scenario hotplug-unbind sc_hotplug_unbind "snd_hda_intel loaded first, unbind = yes: the card ends whole on vfio-pci"
sc_hotplug_unbind() {
	hp_conf yes
	vm_boot || return
	vm_check "before: snd_hda_intel loaded, bochs not" \
		'modprobe snd_hda_intel && [[ -d /sys/module/snd_hda_intel && ! -d /sys/module/bochs ]]'
	hp_plug || return
	vm_expect "$GPU=vfio-pci" "$AUDIO=vfio-pci"
	# The audio function was snd_hda_intel's first: taken from it, not raced.
	vm_expect_binds "$GPU" vfio-pci "$AUDIO" "snd_hda_intel vfio-pci"
}
