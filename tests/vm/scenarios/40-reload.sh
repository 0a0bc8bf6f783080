#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario 6: "systemctl reload vfio-binder-monitor" (SIGHUP). A changed
# configuration that selects a card already present takes it; a broken one
# is reported in the journal with file and line, and the policy before it
# stays in force (a card plugged afterwards is taken by it).
# shellcheck disable=SC2016 # single-quoted scripts run in the guest

# reload_check TEXT DESCRIPTION: "systemctl reload" must succeed; then the
# monitor must log one more line with TEXT (systemd 252 returns from a
# reload once SIGHUP is sent, not once it is handled). When the reload
# itself fails, SIGHUP goes by "systemctl kill" so that what the monitor
# does with it is still tested.
reload_check() {
	local count="journalctl -b -o cat -u vfio-binder-monitor.service | grep -cF -- '$1'"
	vm_run "$count >/run/vmtest-reload.count"
	vm_check "systemctl reload vfio-binder-monitor.service succeeds" \
		'systemctl reload vfio-binder-monitor.service && exit
		rc=$?; journalctl -b -o cat -u vfio-binder-monitor.service | tail -n 4; exit $rc' ||
		vm_run 'systemctl kill -s HUP --kill-who=main vfio-binder-monitor.service'
	vm_check "$2" "
		for ((i = 0; i < 150; i++)); do
			((\$($count) > \$(cat /run/vmtest-reload.count))) && exit 0
			sleep 0.2
		done
		echo 'no \"$1\" in the journal within 30 s of SIGHUP; its last lines:'
		journalctl -b -o cat -u vfio-binder-monitor.service | tail -n 5
		exit 1"
}

vm_scenario reload sc_reload "systemctl reload: a changed configuration takes a card; a broken one keeps the old policy"
sc_reload() {
	local gpu2
	vm_conf <<-'EOF'
		[binder]
		unbind = yes
		[devices]
		; no such card in this machine: nothing is selected
		id = 10de:1b81
	EOF
	vm_enable vfio-binder-monitor.service
	vm_boot || return
	vm_uevents_start || return
	GPU=$(vm_plug_card c1 hp1) || return
	USB=${GPU%.0}.1
	vm_settle "$GPU" "$USB"
	vm_expect "$GPU=qxl" "$USB=xhci_hcd"

	# The same card selected now: taken on reload (unbind = yes: from qxl and xhci_hcd).
	vm_run 'printf "[binder]\nunbind = yes\n[devices]\nid = 1b36:0100\n" >/etc/vfio.conf'
	reload_check "configuration reloaded" "SIGHUP with the card selected: 'configuration reloaded' in the journal"
	vm_settle "$GPU" "$USB"
	vm_expect "$GPU=vfio-pci" "$USB=vfio-pci"

	# A typo: reported with file and line, the policy above kept.
	vm_run 'printf "[binder]\nunbind = yes\npolicy = bootvga\n[devices]\nid = 1b36:0100\n" >/etc/vfio.conf'
	reload_check "keeping the previous policy" "SIGHUP with a broken configuration: 'keeping the previous policy' in the journal"
	vm_check "the journal names the file, the line and the mistake" \
		"journalctl -b -o cat -u vfio-binder-monitor.service | grep -F \"/etc/vfio.conf:3: unknown policy 'bootvga'\""
	vm_check "the monitor is still active" 'systemctl is-active vfio-binder-monitor.service'
	gpu2=$(vm_plug_card c2 hp2) || return
	vm_settle "$gpu2" "${gpu2%.0}.1"
	vm_expect "$gpu2=vfio-pci" "${gpu2%.0}.1=vfio-pci"
}
