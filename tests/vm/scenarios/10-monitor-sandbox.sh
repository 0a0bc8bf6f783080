#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario 1: vfio-binder-monitor.service, enabled, is active after boot and
# runs sandboxed as the unit says: systemd-analyze security on the loaded
# unit (exposure at most 2.5, as tests/monitor/unit.sh holds the file to),
# and the running process's bounding set, no_new_privs, seccomp and
# read-only root.
# shellcheck disable=SC2016 # single-quoted scripts run in the guest

vm_scenario monitor-sandbox sc_monitor_sandbox "the monitor is active after boot and sandboxed"

sc_monitor_sandbox() {
	local out score pid='pid=$(systemctl show -P MainPID vfio-binder-monitor.service); [[ $pid != 0 ]] || exit 1'

	vm_conf <<-'EOF'
		[devices]
		id = 1234:1111
	EOF
	vm_enable vfio-binder-monitor.service
	vm_boot || return

	vm_check "vfio-binder-monitor.service is enabled and active after boot" \
		'systemctl is-enabled vfio-binder-monitor.service && systemctl is-active vfio-binder-monitor.service'
	vm_check "it told systemd it is ready (Type=notify; STATUS= from the monitor)" \
		'systemctl show -P StatusText vfio-binder-monitor.service | grep -x "Watching for new PCI functions"'
	vm_check "its journal says it watches kernel uevents" \
		'journalctl -b -o cat -u vfio-binder-monitor.service | grep "watching kernel uevents for new PCI functions"'

	out=$(vm_run 'systemd-analyze security vfio-binder-monitor.service' 2>&1)
	score=$(sed -n 's/.*Overall exposure level for vfio-binder-monitor.service: \([0-9.]*\).*/\1/p' <<<"$out")
	echo "# systemd-analyze security in the guest (systemd 252, the unit as loaded): exposure ${score:-?}"
	if [[ -n $score ]] && awk -v s="$score" 'BEGIN { exit !(s <= 2.5) }'; then
		pass "$VM_NAME: systemd-analyze security: exposure $score, at most 2.5"
	else
		fail "$VM_NAME: systemd-analyze security: exposure ${score:-?}, above 2.5 or not reported:"
		grep -E '^✗|Overall' <<<"$out" | vm_indent >&2
	fi

	vm_check "CapabilityBoundingSet= of the loaded unit is CAP_SYS_MODULE alone" \
		'[[ $(systemctl show -P CapabilityBoundingSet vfio-binder-monitor.service) == cap_sys_module ]]'
	vm_check "the running monitor's bounding set is CAP_SYS_MODULE alone (CapBnd 0000000000010000)" \
		"$pid"'; grep -x "CapBnd:[[:space:]]*0000000000010000" /proc/$pid/status'
	vm_check "the running monitor has no_new_privs and a seccomp filter" \
		"$pid"'; grep -x "NoNewPrivs:[[:space:]]*1" /proc/$pid/status && grep -x "Seccomp:[[:space:]]*2" /proc/$pid/status'
	vm_check "the running monitor sees / read-only, /sys/devices and /sys/bus/pci writable" \
		"$pid"'; m=/proc/$pid/mountinfo
		opts() { awk -v p="$1" '"'"'$5 == p { o = $6 } END { print o }'"'"' "$m"; }
		echo "/ $(opts /), /sys/devices $(opts /sys/devices), /sys/bus/pci $(opts /sys/bus/pci)"
		[[ $(opts /) == ro,* && $(opts /sys/devices) == rw,* && $(opts /sys/bus/pci) == rw,* ]]'
}
