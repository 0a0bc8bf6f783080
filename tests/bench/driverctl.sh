#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# driverctl.sh LIST: the driverctl way, one "driverctl set-override" per
# address the binder's plan selects (LIST, one address a line, written before
# the timing starts). --nosave keeps it out of /etc/driverctl.d and --noprobe
# away from drivers_probe; the benchmark gives it /sys/module/vfio-pci so it
# does not run modprobe.
while read -r addr; do
	driverctl --nosave --noprobe set-override "$addr" vfio-pci
done <"$1"
