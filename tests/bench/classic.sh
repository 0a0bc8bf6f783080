#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The classic approach users copy from the guides (Arch wiki "PCI passthrough
# via OVMF", vfio-pci-override.sh and its descendants; some also take function
# 2), in the form issue 8 names, kept as they write it, forks included, since
# that is what it costs: every GPU whose boot_vga reads 0 gets vfio-pci in its
# driver_override, and so does function 1 of its slot (the HDMI audio). Then the guides run "modprobe -i vfio-pci"; the benchmark
# must never load a module, so that line only says what it would do.
for i in /sys/bus/pci/devices/*/boot_vga; do
	if [ "$(cat "$i")" -eq 0 ]; then
		GPU="${i%/boot_vga}"
		AUDIO="$(echo "$GPU" | sed -e "s/0$/1/")"
		echo "vfio-pci" >"$GPU/driver_override"
		if [ -d "$AUDIO" ]; then
			echo "vfio-pci" >"$AUDIO/driver_override"
		fi
	fi
done
echo "classic: would run modprobe -i vfio-pci" >&2
