#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The bad-input catalogue: configurations and kernel command lines that are
# wrong in every way a user manages to make them wrong, each run through
# `vfio-binder bind` over a fresh fake sysfs tree. For each case the table
# gives the exit status, the exact message, and what the tree must look
# like afterwards:
#   unchanged  byte-for-byte as before (every path, link target and content)
#   dev01      exactly what a good configuration naming 01:00.0 alone binds
#              (a bad command-line value is ignored, the rest of the boot goes on)
# A configuration error is fatal before the first write; a command-line
# error is reported and ignored, so those cases check that the bad value
# did not take effect.
# BADINPUT_SHOW=1 prints every case's output (to write a new case's message).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${TOPDIR:?}/tests/lib.sh"
# Bytes, not characters: some inputs and messages are not UTF-8 on purpose.
export LC_ALL=C

TOPO=skylake-gtx1070-igd-host
DEV01='[devices]\ndevice = 01:00.0\n'
long_comment=$(printf '%0300d' 0)
long_value=$(printf 'a%.0s' $(seq 1 60000))
long_value200=${long_value:0:200}
# 4000 good items: a long line is not wrong in itself.
many_items=$(printf '01:00.0,%.0s' $(seq 1 3999))01:00.0
# Past the kernel's own limits, and past ours (64 KiB); the device after it is not read.
huge_cmdline="$(printf 'x%.0s' $(seq 1 70000)) vfio_binder.device=01:00.0"

# id|kind|status|tree|input|message
#   kind: conf (the input is the configuration; no command line),
#         cmd (the input is the command line; no configuration file),
#         cmd+dev01 (the input is the command line, over the good configuration)
#   input: printf %b text, or @NAME for the inputs made in make_input
cases=$(cat <<'TABLE'
unknown-section|conf|2|unchanged|[binder]\npolicy = list\n[vfio]\ndevice = 01:00.0\n|bad.conf:3: unknown section [vfio] (expected [binder], [devices], [options], [sriov] or [access])
unknown-key-binder|conf|2|unchanged|[binder]\npolicyy = boot_vga\n|bad.conf:2: unknown key 'policyy' in [binder] (expected policy, driver, companions, group, unbind, require_iommu, load, preload or return_to_host)
unknown-key-devices|conf|2|unchanged|[devices]\ndevices = 01:00.0\n|bad.conf:2: unknown key 'devices' in [devices] (expected device, id, vfs or exclude)
key-outside-section|conf|2|unchanged|device = 01:00.0\n|bad.conf:1: key 'device' outside any section (put it under [binder], [devices], [options], [sriov] or [access])
empty-value|conf|2|unchanged|[devices]\ndevice =\n|bad.conf:2: empty value for 'device'
empty-value-comment|conf|2|unchanged|[binder]\npolicy = ; boot_vga\n[devices]\ndevice = 01:00.0\n|bad.conf:2: empty value for 'policy'
duplicate-scalar|conf|2|unchanged|[binder]\npolicy = boot_vga\npolicy = list\n|bad.conf:3: duplicate key 'policy' (first set at line 2)
duplicate-scalar-reopened|conf|2|unchanged|[binder]\ndriver = vfio-pci\n[devices]\ndevice = 01:00.0\n[binder]\ndriver = pci-stub\n|bad.conf:6: duplicate key 'driver' (first set at line 2)
bad-policy-word|conf|2|unchanged|[binder]\npolicy = bootvga\n[devices]\ndevice = 01:00.0\n|bad.conf:2: unknown policy 'bootvga' (expected list, boot_vga or off)
bad-companions|conf|2|unchanged|[binder]\ncompanions = all\n[devices]\ndevice = 01:00.0\n|bad.conf:2: unknown companions 'all' (expected slot, audio or none)
bad-group|conf|2|unchanged|[binder]\ngroup = yes\n[devices]\ndevice = 01:00.0\n|bad.conf:2: unknown group 'yes' (expected check, bind or ignore)
bad-bool|conf|2|unchanged|[binder]\nunbind = maybe\n[devices]\ndevice = 01:00.0\n|bad.conf:2: invalid value 'maybe' for unbind (expected yes or no)
driver-with-space|conf|2|unchanged|[binder]\ndriver = vfio pci\n[devices]\ndevice = 01:00.0\n|bad.conf:2: invalid driver name 'vfio pci' (expected a module name: letters, digits, '_' and '-', at most 63)
driver-path|conf|2|unchanged|[binder]\ndriver = ../../../bin/sh\n[devices]\ndevice = 01:00.0\n|bad.conf:2: invalid driver name '../../../bin/sh' (expected a module name: letters, digits, '_' and '-', at most 63)
address-without-function|conf|2|unchanged|[devices]\ndevice = 0000:01:00\n|bad.conf:2: invalid PCI address '0000:01:00' for device (expected DDDD:BB:DD.F or BB:DD.F in hex, e.g. 0000:01:00.0)
bus-above-ff|conf|2|unchanged|[devices]\ndevice = 0000:100:00.0\n|bad.conf:2: invalid PCI address '0000:100:00.0' for device (expected DDDD:BB:DD.F or BB:DD.F in hex, e.g. 0000:01:00.0)
function-above-7|conf|2|unchanged|[devices]\ndevice = 0000:01:00.8\n|bad.conf:2: invalid PCI address '0000:01:00.8' for device (device is at most 1f, function at most 7)
device-above-1f|conf|2|unchanged|[devices]\ndevice = 01:20.0\n|bad.conf:2: invalid PCI address '01:20.0' for device (device is at most 1f, function at most 7)
domain-five-digits|conf|2|unchanged|[devices]\ndevice = 10000:01:00.0\n|bad.conf:2: invalid PCI address '10000:01:00.0' for device (expected DDDD:BB:DD.F or BB:DD.F in hex, e.g. 0000:01:00.0)
dotdot-in-address|conf|2|unchanged|[devices]\ndevice = ../01:00.0\n|bad.conf:2: invalid PCI address '../01:00.0' for device (expected DDDD:BB:DD.F or BB:DD.F in hex, e.g. 0000:01:00.0)
dotdot-after-address|conf|2|unchanged|[devices]\ndevice = 0000:01:00.0/../../..\n|bad.conf:2: invalid PCI address '0000:01:00.0/../../..' for device (expected DDDD:BB:DD.F or BB:DD.F in hex, e.g. 0000:01:00.0)
slash-in-address|conf|2|unchanged|[devices]\ndevice = 0000:01/00.0\n|bad.conf:2: invalid PCI address '0000:01/00.0' for device (expected DDDD:BB:DD.F or BB:DD.F in hex, e.g. 0000:01:00.0)
absolute-path-address|conf|2|unchanged|[devices]\nexclude = /sys/bus/pci/devices/0000:01:00.0\n|bad.conf:2: invalid PCI address '/sys/bus/pci/devices/0000:01:00.0' for exclude (expected DDDD:BB:DD.F or BB:DD.F in hex, e.g. 0000:01:00.0)
id-three-digits|conf|2|unchanged|[devices]\nid = 10d:1b81\n|bad.conf:2: invalid vendor:device ID '10d:1b81' (expected four hex digits, ':', four hex digits, e.g. 10de:1b81)
id-five-digits|conf|2|unchanged|[devices]\nid = 10de:1b810\n|bad.conf:2: invalid vendor:device ID '10de:1b810' (expected four hex digits, ':', four hex digits, e.g. 10de:1b81)
id-not-hex|conf|2|unchanged|[devices]\nid = 10dg:1b81\n|bad.conf:2: invalid vendor:device ID '10dg:1b81' (expected four hex digits, ':', four hex digits, e.g. 10de:1b81)
id-0x-prefix|conf|2|unchanged|[devices]\nid = 0x10de:0x1b81\n|bad.conf:2: invalid vendor:device ID '0x10de:0x1b81' (expected four hex digits, ':', four hex digits, e.g. 10de:1b81)
one-bad-line-among-good|conf|2|unchanged|[binder]\npolicy = boot_vga\n[devices]\ndevice = 01:00.0\nid = 10de:zzzz\n|bad.conf:5: invalid vendor:device ID '10de:zzzz' (expected four hex digits, ':', four hex digits, e.g. 10de:1b81)
line-over-limit|conf|2|unchanged|@long-line|bad.conf:2: line too long (302 characters, at most 198)
nul-bytes|conf|2|unchanged|[devices]\ndevice = 01:00.0\0\n|bad.conf:2: NUL byte in the line; is this a text file?
binary-file|conf|2|unchanged|\x7fELF\x02\x01\x01\0\0\0\n[devices]\ndevice = 01:00.0\n|bad.conf:1: NUL byte in the line; is this a text file?
not-utf8-latin1|conf|2|unchanged|[devices]\n# carte graphique \xe0 passer\ndevice = 01:00.0\n|bad.conf:2: not valid UTF-8
not-utf8-overlong-slash|conf|2|unchanged|[devices]\ndevice = 01:00.0\xc0\xaf..\n|bad.conf:2: not valid UTF-8
not-utf8-surrogate|conf|2|unchanged|[devices]\n; \xed\xa0\x80\ndevice = 01:00.0\n|bad.conf:2: not valid UTF-8
section-without-bracket|conf|2|unchanged|[devices\ndevice = 01:00.0\n|bad.conf:1: section header without ']'
line-without-equals|conf|2|unchanged|[devices]\ndevice 01:00.0\n|bad.conf:2: expected '[section]' or 'key = value', got 'device 01:00.0'
colon-instead-of-equals|conf|2|unchanged|[devices]\ndevice: 01:00.0\n|bad.conf:2: expected '[section]' or 'key = value', got 'device: 01:00.0'
module-option-with-space|conf|2|unchanged|[devices]\ndevice = 01:00.0\n[options]\nnointxmask = 1 0\n|bad.conf:4: invalid value '1 0' for module parameter 'nointxmask' (no spaces, quotes or backslashes)
duplicate-module-option|conf|2|unchanged|[devices]\ndevice = 01:00.0\n[options]\ndisable_vga = 1\ndisable_vga = 0\n|bad.conf:5: duplicate module parameter 'disable_vga'
empty-file|conf|0|unchanged||nothing to do: no device, id or policy = boot_vga in bad.conf and no vfio_binder.* parameters
directory-as-config|conf|2|unchanged|@directory|bad.conf: is a directory; give the configuration file itself
fifo-as-config|conf|2|unchanged|@fifo|bad.conf: not a regular file
too-large|conf|2|unchanged|@too-large|bad.conf: too large (70000 bytes, at most 65536)
unreadable|conf|2|unchanged|@unreadable|bad.conf: cannot open: Permission denied
world-writable|conf|2|unchanged|@world-writable|bad.conf: writable by every user (mode 0666), refusing it: anyone could choose what root binds; run 'chown root:root bad.conf && chmod 644 bad.conf'
group-writable|conf|2|unchanged|@group-writable|bad.conf: writable by its group (mode 0664), refusing it: any member of the group could choose what root binds; run 'chown root:root bad.conf && chmod 644 bad.conf'
not-owned-by-root|conf|2|unchanged|@not-root|bad.conf: owned by uid 65534, not root, refusing it: its owner could choose what root binds; run 'chown root:root bad.conf && chmod 644 bad.conf'
ids-in-options|conf|2|unchanged|[devices]\ndevice = 01:00.0\n[options]\nids = 10de:1b81\n|bad.conf:4: ids in [options] would make vfio-pci claim every device with those IDs, the host's own card included, behind every rule here; list them as id = in [devices]
cmd-unbalanced-quote-swallows|cmd|0|unchanged|root=/dev/sda1 foo="bar vfio_binder.device=01:00.0 quiet|kernel command line: unbalanced '"'; read as the kernel does, the quote runs to the end of the line
cmd-unbalanced-quote-value|cmd+dev01|0|dev01|vfio_binder.policy="boot_vga quiet|kernel command line: vfio_binder.policy=boot_vga quiet: unknown policy (expected list, boot_vga or off); ignored
cmd-empty-items-only|cmd|0|unchanged|vfio_binder.device=,,|kernel command line: vfio_binder.device=,,: empty item in the list; ignored
cmd-empty-item-among-good|cmd|0|dev01|vfio_binder.device=,01:00.0|kernel command line: vfio_binder.device=,01:00.0: empty item in the list; ignored
cmd-empty-value|cmd|0|unchanged|vfio_binder.device=|kernel command line: vfio_binder.device=: empty value; ignored
cmd-no-value|cmd|0|unchanged|vfio_binder.device|kernel command line: vfio_binder.device=: empty value; ignored
cmd-bad-item-among-good|cmd|0|dev01|vfio_binder.device=01:00.0,zz|kernel command line: vfio_binder.device=zz: invalid PCI address (expected DDDD:BB:DD.F or BB:DD.F in hex, optionally @VVVV:DDDD); ignored
cmd-function-above-7|cmd|0|unchanged|vfio_binder.device=0000:01:00.8|kernel command line: vfio_binder.device=0000:01:00.8: invalid PCI address (expected DDDD:BB:DD.F or BB:DD.F in hex, optionally @VVVV:DDDD); ignored
cmd-bus-above-ff|cmd|0|unchanged|vfio_binder.device=0000:100:00.0|kernel command line: vfio_binder.device=0000:100:00.0: invalid PCI address (expected DDDD:BB:DD.F or BB:DD.F in hex, optionally @VVVV:DDDD); ignored
cmd-domain-five-digits|cmd|0|unchanged|vfio_binder.device=10000:01:00.0|kernel command line: vfio_binder.device=10000:01:00.0: invalid PCI address (expected DDDD:BB:DD.F or BB:DD.F in hex, optionally @VVVV:DDDD); ignored
cmd-dotdot-address|cmd|0|unchanged|vfio_binder.device=../01:00.0|kernel command line: vfio_binder.device=../01:00.0: invalid PCI address (expected DDDD:BB:DD.F or BB:DD.F in hex, optionally @VVVV:DDDD); ignored
cmd-slash-address|cmd|0|unchanged|vfio_binder.device=01:00.0/|kernel command line: vfio_binder.device=01:00.0/: invalid PCI address (expected DDDD:BB:DD.F or BB:DD.F in hex, optionally @VVVV:DDDD); ignored
cmd-id-three-digits|cmd|0|unchanged|vfio_binder.id=10d:1b81|kernel command line: vfio_binder.id=10d:1b81: invalid vendor:device ID (expected e.g. 10de:1b81); ignored
cmd-id-five-digits|cmd|0|unchanged|vfio_binder.id=10de:1b810|kernel command line: vfio_binder.id=10de:1b810: invalid vendor:device ID (expected e.g. 10de:1b81); ignored
cmd-id-not-hex|cmd|0|unchanged|vfio_binder.id=10de:1b8g|kernel command line: vfio_binder.id=10de:1b8g: invalid vendor:device ID (expected e.g. 10de:1b81); ignored
cmd-quoted-space-in-list|cmd|0|unchanged|vfio_binder.device="01:00.0 00:02.0"|kernel command line: vfio_binder.device=01:00.0 00:02.0: invalid PCI address (expected DDDD:BB:DD.F or BB:DD.F in hex, optionally @VVVV:DDDD); ignored
cmd-not-utf8|cmd|0|unchanged|vfio_binder.device=01:00.\xff|kernel command line: vfio_binder.device=01:00.\xff: invalid PCI address (expected DDDD:BB:DD.F or BB:DD.F in hex, optionally @VVVV:DDDD); ignored
cmd-nul-byte|cmd|0|unchanged|quiet\0vfio_binder.device=01:00.0|cmdline: NUL byte in the command line; read up to it
cmd-bad-policy|cmd+dev01|0|dev01|vfio_binder.policy=bootvga|kernel command line: vfio_binder.policy=bootvga: unknown policy (expected list, boot_vga or off); ignored
cmd-bad-driver|cmd+dev01|0|dev01|vfio_binder.driver=../../x|kernel command line: vfio_binder.driver=../../x: invalid driver name (expected a module name); ignored
cmd-bad-companions|cmd+dev01|0|dev01|vfio_binder.companions=some|kernel command line: vfio_binder.companions=some: unknown companions (expected slot, audio or none); ignored
cmd-bad-bool|cmd+dev01|0|dev01|vfio_binder.unbind=perhaps|kernel command line: vfio_binder.unbind=perhaps: expected yes or no (or 1 or 0); ignored
cmd-unknown-parameter|cmd+dev01|0|dev01|vfio_binder.devices=00:02.0|kernel command line: vfio_binder.devices=00:02.0: unknown parameter (expected policy, driver, companions, group, unbind, require_iommu, load, device, id, vfs or exclude); ignored
cmd-kill-switch-wrong-value|cmd|0|unchanged|vfio_binder=on vfio_binder.policy=bootvga|kernel command line: vfio_binder=on: the only value is 'off' (the kill switch); ignored
cmd-very-long|cmd|0|unchanged|@huge-cmdline|kernel command line: longer than 65536 bytes; the rest is ignored
cmd-very-long-value|cmd|0|unchanged|@long-value|@long-value-message
cmd-very-long-good-list|cmd|0|dev01|@many-items|-
kill-switch-with-device-list|cmd+dev01|0|unchanged|vfio_binder=off vfio_binder.device=01:00.0,00:02.0 vfio_binder.id=10de:1b81|policy off: kill switch vfio_binder=off on the kernel command line; nothing is bound and no driver is loaded
kill-switch-after-device-list|cmd+dev01|0|unchanged|vfio_binder.device=01:00.0 vfio_binder.policy=boot_vga vfio_binder=off|policy off: kill switch vfio_binder=off on the kernel command line; nothing is bound and no driver is loaded
kill-switch-policy-dashes|cmd+dev01|0|unchanged|vfio-binder.policy=off vfio_binder.device=01:00.0|policy off: kill switch vfio_binder=off on the kernel command line; nothing is bound and no driver is loaded
TABLE
)

# Stricter than snapshot() for "unchanged": modes and modification times too,
# so even a write of the same bytes (an open with O_TRUNC) would show.
strict_state() {
	(cd "$1" && find . -printf '%p %y %m %l %T@\n' | sort && find . -type f -print0 | sort -z | xargs -0 md5sum)
}

# The inputs that printf cannot spell.
make_input() { # NAME FILE
	case $1 in
	long-line) printf '[devices]\n; %s\ndevice = 01:00.0\n' "$long_comment" > "$2" ;;
	directory) mkdir "$2" ;;
	fifo) mkfifo "$2" ;;
	too-large) { printf '[devices]\ndevice = 01:00.0\n'; printf '#%.0s' $(seq 1 70000); } | head -c 70000 > "$2" ;;
	unreadable) printf '%b' "$DEV01" > "$2"; chmod 000 "$2" ;;
	world-writable) printf '%b' "$DEV01" > "$2"; chmod 666 "$2" ;;
	group-writable) printf '%b' "$DEV01" > "$2"; chmod 664 "$2" ;;
	not-root) printf '%b' "$DEV01" > "$2"; chown 65534 "$2" ;;
	huge-cmdline) printf '%s' "$huge_cmdline" > "$2" ;;
	long-value) printf 'vfio_binder.device=%s' "$long_value" > "$2" ;;
	many-items) printf 'vfio_binder.device=%s' "$many_items" > "$2" ;;
	*) echo "badinput.sh: no input @$1" >&2; exit 99 ;;
	esac
}

# The reference: a fresh tree after bind with the good configuration.
ref=$(fake_tree "$TOPO")
printf '%b' "$DEV01" > "$TMP/dev01.conf"
"$BINDER" --sysfs "$ref" -c "$TMP/dev01.conf" --no-cmdline bind > "$TMP/ref.out" 2>&1 || { cat "$TMP/ref.out"; exit 99; }
pristine=$(fake_tree "$TOPO")
ref_snap=$(snapshot "$ref")
# The two expectations must be told apart, or "dev01" would prove nothing.
check "reference bind changed the tree" test "$ref_snap" != "$(snapshot "$pristine")"
# The unprivileged case must reach its tree; the good configuration stays 0644.
chmod a+rx "$TMP"

n=0
while IFS='|' read -r id kind status expect input message; do
	[ -n "$id" ] || continue
	# Root-only behaviour: refusing a world-writable file (only root is at
	# risk), and a file root can read but nobody else (setpriv to nobody).
	# Distribution builds run make check unprivileged; CI runs it as root.
	case $id in
	unreadable | world-writable | group-writable | not-owned-by-root)
		if [ "$(id -u)" != 0 ]; then
			echo "# $id: needs root, not run"
			continue
		fi
		;;
	esac
	n=$((n + 1))
	dir="$TMP/case-$id"
	mkdir "$dir"
	tree=$(fake_tree "$TOPO")
	# Anyone may write the tree, so the unprivileged case proves something too.
	chmod -R a+rwX "$tree"
	before=$(strict_state "$tree")
	if [ "$kind" = conf ]; then
		file="$dir/bad.conf"
		args=(-c bad.conf --no-cmdline)
	else
		file="$dir/cmdline"
		args=(--cmdline cmdline -c "$([ "$kind" = cmd+dev01 ] && echo "$TMP/dev01.conf" || echo none.conf)")
	fi
	case $input in
	@*) make_input "${input#@}" "$file" ;;
	*) printf '%b' "$input" > "$file" ;;
	esac
	case $message in
	@long-value-message) message="kernel command line: vfio_binder.device=$long_value200: invalid PCI address (expected DDDD:BB:DD.F or BB:DD.F in hex, optionally @VVVV:DDDD); ignored" ;;
	*) message=$(printf '%b' "$message") ;;
	esac
	runner=()
	# root reads any file; the unreadable case has to run as someone else
	[ "$id" = unreadable ] && runner=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	(cd "$dir" && "${runner[@]}" "$BINDER" --sysfs "$tree" "${args[@]}" bind) > "$dir/out" 2>&1
	rc=$?
	[ -n "${BADINPUT_SHOW:-}" ] && { echo "--- $id ($rc)"; cat "$dir/out"; }
	check "$id: exit status $status (got $rc)" test "$rc" = "$status"
	if [ "$message" = - ]; then
		check "$id: no command-line warning" sh -c "! grep -q 'kernel command line' '$dir/out'"
	else
		check "$id: message '$message'" grep -qxF "vfio-binder: $message" "$dir/out"
	fi
	if [ "$status" = 2 ]; then
		check "$id: says nothing was written" grep -qxF "vfio-binder: configuration error: nothing written" "$dir/out"
	fi
	case $expect in
	unchanged) check "$id: tree byte-for-byte unchanged, not even rewritten" test "$before" = "$(strict_state "$tree")" ;;
	dev01) check "$id: tree exactly as the good configuration leaves it" test "$ref_snap" = "$(snapshot "$tree")" ;;
	*) fail "$id: unknown expectation $expect" ;;
	esac
done <<< "$cases"

check "at least 40 cases ($n)" test "$n" -ge 40
finish
