#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The whole program on fake sysfs trees: plan output against tests/expected/,
# exit statuses, and that bad input leaves a tree byte-for-byte unchanged.
# UPDATE_EXPECTED=1 rewrites the expected files (review the diff before committing).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${TOPDIR:?}/tests/lib.sh"

EXPECTED="$TOPDIR/tests/expected"

# topology configuration
cases="
skylake-gtx1070-igd-host boot_vga
skylake-gtx1070-igd-host device-01
skylake-gtx1070-igd-host audio-only
turing-4fn-amd-host boot_vga
turing-4fn-amd-host audio-only
turing-4fn-amd-host group-bind
turing-4fn-amd-host id-2080
turing-4fn-amd-host exclude-ucsi
z77-gtx1070-headless boot_vga
z77-gtx1070-headless device-01
renoir-apu-rx6600-host boot_vga
am5-arc-a310-b50 boot_vga
am5-arc-a310-b50 id-arc-a310
epyc-aspeed-bmc boot_vga
twin-gtx1070 id-twin-pair
"

compare() { # NAME ACTUAL-FILE
	if [ -n "${UPDATE_EXPECTED:-}" ]; then
		mkdir -p "$(dirname "$EXPECTED/$1")" && cp "$2" "$EXPECTED/$1"
	fi
	if diff -u "$EXPECTED/$1" "$2"; then pass; else fail "output differs from tests/expected/$1"; fi
}

echo "$cases" | while read -r topo conf; do
	[ -n "$topo" ] || continue
	tree=$(fake_tree "$topo")
	# relative -c, so the file:line in messages does not depend on the checkout
	(cd "$TOPDIR/tests/conf" && "$BINDER" --sysfs "$tree" -c "$conf.conf" --no-cmdline plan) > "$TMP/out.txt" 2>&1 ||
		fail "plan $topo $conf exited $?"
	compare "plan/$topo.$conf.txt" "$TMP/out.txt"
	(cd "$TOPDIR/tests/conf" && "$BINDER" --sysfs "$tree" -c "$conf.conf" --no-cmdline plan --json) > "$TMP/out.json" 2>&1
	compare "plan/$topo.$conf.json" "$TMP/out.json"
	if command -v python3 >/dev/null; then
		check "$topo.$conf.json is JSON" python3 -m json.tool "$TMP/out.json" >/dev/null
	elif [ -n "${VFIO_BINDER_REQUIRE_ALL:-}" ]; then
		fail "python3 is needed to check that the JSON is JSON"
	fi
	echo "$passes $failures" > "$TMP/counts"
done
read -r passes failures < "$TMP/counts"

tree=$(fake_tree turing-4fn-amd-host)
conf="$TOPDIR/tests/conf/boot_vga.conf"

# Options before or after the command mean the same.
"$BINDER" --sysfs "$tree" -c "$conf" --no-cmdline plan --json > "$TMP/a"
"$BINDER" plan --json --sysfs "$tree" --no-cmdline -c "$conf" > "$TMP/b"
"$BINDER" --json -c "$conf" --no-cmdline --sysfs "$tree" > "$TMP/c"
check "options after the command" cmp -s "$TMP/a" "$TMP/b"
check "plan is the default command" cmp -s "$TMP/a" "$TMP/c"

# No configuration and nothing on the command line: nothing to do, and it says so.
echo "ro quiet" > "$TMP/cmdline"
out=$("$BINDER" --sysfs "$tree" -c "$TMP/none.conf" --cmdline "$TMP/cmdline" plan 2>&1)
check "missing config exits 0" [ $? -eq 0 ]
check "missing config: nothing to do" test "$out" = "notice: nothing to do: no device, id or policy = boot_vga in the configuration and no vfio_binder.* parameters
nothing to bind"

# The command line alone is enough, and the kill switch beats the config.
echo "ro vfio_binder.device=2d:00.0 quiet" > "$TMP/cmdline"
out=$("$BINDER" --sysfs "$tree" -c "$TMP/none.conf" --cmdline "$TMP/cmdline" plan --json)
check "vfio_binder.device= alone binds the slot" test "$(echo "$out" | grep -c '"reason"')" -eq 4
echo "ro vfio_binder=off" > "$TMP/cmdline"
out=$("$BINDER" --sysfs "$tree" -c "$conf" --cmdline "$TMP/cmdline" plan)
check "kill switch" test "$out" = "notice: policy off: kill switch vfio_binder=off on the kernel command line; nothing is bound and no driver is loaded
nothing to bind"

# bind: a bad configuration writes nothing at all, and says where.
before=$(snapshot "$tree")
"$BINDER" --sysfs "$tree" -c "$TOPDIR/tests/conf/bad.conf" --no-cmdline bind > "$TMP/out" 2>&1
check "bad config exits 2" [ $? -eq 2 ]
check "bad config names file and line" grep -q "tests/conf/bad.conf:2: unknown policy 'bootvga' (expected list, boot_vga or off)" "$TMP/out"
check "every error is reported" grep -q "bad.conf:5: invalid PCI address '0000:01:00.8'" "$TMP/out"
check "bad config: nothing written" grep -q "configuration error: nothing written" "$TMP/out"
check "bad config leaves the tree byte-for-byte unchanged" test "$before" = "$(snapshot "$tree")"

# A bad command line is reported and ignored: the boot goes on with the config.
echo "vfio_binder.policy=bootvga vfio_binder.device=zz" > "$TMP/cmdline"
"$BINDER" --sysfs "$tree" -c "$conf" --cmdline "$TMP/cmdline" bind --no-load > "$TMP/out" 2>&1
check "bad command line is not fatal" [ $? -eq 0 ]
check "bad command line is reported" grep -q "kernel command line: vfio_binder.policy=bootvga: unknown policy" "$TMP/out"
check "bind reports each function" grep -q "0000:2d:00.3 \[10de:1ad9\] -> vfio-pci (companion of 0000:2d:00.0; override set, driver not loaded)" "$TMP/out"
check "bind wrote the override" grep -qx vfio-pci "$tree/bus/pci/devices/0000:2d:00.3/driver_override"
check "the host GPU keeps no override" grep -qx '(null)' "$tree/bus/pci/devices/0000:2e:00.0/driver_override"
check "--no-load: nothing probed" test ! -s "$tree/bus/pci/drivers_probe"
# Twice is the same as once.
before=$(snapshot "$tree")
"$BINDER" --sysfs "$tree" -c "$conf" --no-cmdline bind --no-load > "$TMP/out" 2>&1
check "bind is idempotent" test "$before" = "$(snapshot "$tree")"

# bind without --no-load on a fake tree: nothing is loaded into this kernel, the probe is still asked for.
tree=$(fake_tree skylake-gtx1070-igd-host)
"$BINDER" --sysfs "$tree" -c "$conf" --no-cmdline bind > "$TMP/out" 2>&1
check "bind on a fake tree exits 0" [ $? -eq 0 ]
check "fake tree: module not loaded" grep -q "not loading vfio-pci: $tree is not the running kernel's sysfs" "$TMP/out"
check "drivers_probe received exactly the plan" test "$(cat "$tree/bus/pci/drivers_probe")" = "0000:01:00.0
0000:01:00.1"

# Partial failure: the native driver holds the audio function and unbind = no.
tree=$(fake_tree skylake-gtx1070-igd-host "@driver 0000:01:00.1 snd_hda_intel")
"$BINDER" --sysfs "$tree" -c "$conf" --no-cmdline bind --no-load > "$TMP/out" 2>&1
check "partial failure exits 1" [ $? -eq 1 ]
check "partial failure names the driver and the setting" grep -q "0000:01:00.1 \[10de:10f0\]: bound to snd_hda_intel, not taken: set unbind = yes" "$TMP/out"

# A refused function is said in the log, with the reason, and nothing is written for it.
tree=$(fake_tree turing-4fn-amd-host)
"$BINDER" --sysfs "$tree" -c "$TOPDIR/tests/conf/exclude-ucsi.conf" --no-cmdline bind --no-load > "$TMP/out" 2>&1
check "refused: exit 0 (the plan said skip)" [ $? -eq 0 ]
check "refused: the reason is logged" grep -q "^vfio-binder: 0000:2d:00.0 \[10de:1e87\]: skipped: IOMMU group 14 also holds 0000:2d:00.3 (excluded)" "$TMP/out"
check "refused: nothing written" grep -qx '(null)' "$tree/bus/pci/devices/0000:2d:00.0/driver_override"

# --dry-run changes nothing.
tree=$(fake_tree turing-4fn-amd-host)
before=$(snapshot "$tree")
"$BINDER" --sysfs "$tree" -c "$conf" --no-cmdline bind --dry-run > "$TMP/out" 2>&1
check "dry run exits 0" [ $? -eq 0 ]
check "dry run changes nothing" test "$before" = "$(snapshot "$tree")"
check "dry run lists the writes" grep -q "would write \"vfio-pci\" to $tree/bus/pci/devices/0000:2d:00.2/driver_override" "$TMP/out"
"$BINDER" --sysfs "$tree" -c "$conf" --no-cmdline bind --dry-run --json > "$TMP/out.json" 2>&1
check "dry run --json: the writes inside the JSON" grep -q "^    \"would write \\\\\"0000:2d:00.3\\\\\" to $tree/bus/pci/drivers_probe\"\$" "$TMP/out.json"
if command -v python3 >/dev/null; then
	check "dry run --json is JSON" python3 -m json.tool "$TMP/out.json" >/dev/null
fi
check "dry run --json changes nothing" test "$before" = "$(snapshot "$tree")"

# list and status on every topology, against tests/expected/.
for topo in skylake-gtx1070-igd-host turing-4fn-amd-host z77-gtx1070-headless renoir-apu-rx6600-host \
	am5-arc-a310-b50 epyc-aspeed-bmc; do
	tree=$(fake_tree "$topo")
	for run in "list/$topo.txt:list --numeric" "list/$topo.json:list --numeric --json" \
		"status/$topo.txt:status" "status/$topo.json:status --json"; do
		# shellcheck disable=SC2086 # the command and its options
		(cd "$TOPDIR/tests/conf" && "$BINDER" --sysfs "$tree" -c boot_vga.conf --no-cmdline ${run#*:}) > "$TMP/out" 2>&1
		echo "exit $?" >> "$TMP/out"
		compare "${run%%:*}" "$TMP/out"
	done
done

# bind records what it did for doctor, where --run points (a fake tree writes no record otherwise).
tree=$(fake_tree turing-4fn-amd-host)
mkdir "$TMP/run"
"$BINDER" --sysfs "$tree" -c "$TOPDIR/tests/conf/boot_vga.conf" --no-cmdline --run "$TMP/run" bind --no-load > /dev/null 2>&1
check "bind writes the boot record" grep -qx 'function 0000:2d:00.3 vfio-pci bound' "$TMP/run/vfio-binder/boot"
check "the boot record says the boot VGA was skipped" grep -qx 'function 0000:2e:00.0 vfio-pci skipped' "$TMP/run/vfio-binder/boot"
check "the boot record keeps a copy of the configuration" cmp -s "$TOPDIR/tests/conf/boot_vga.conf" "$TMP/run/vfio-binder/boot.conf"
before=$(stat -c '%Y %s' /run/vfio-binder/boot 2>/dev/null)
"$BINDER" --sysfs "$tree" -c "$TOPDIR/tests/conf/boot_vga.conf" --no-cmdline bind --no-load > /dev/null 2>&1
check "without --run, a fake tree leaves the machine's /run alone" \
	test "$before" = "$(stat -c '%Y %s' /run/vfio-binder/boot 2>/dev/null)"

# status follows what happens: overrides written, then the driver bound.
tree=$(fake_tree skylake-gtx1070-igd-host "@driver 0000:00:02.0 i915")
"$BINDER" --sysfs "$tree" -c "$conf" --no-cmdline bind --no-load > /dev/null 2>&1
"$BINDER" --sysfs "$tree" -c "$conf" --no-cmdline status > "$TMP/out" 2>&1
check "status after the overrides exits 1" [ $? -eq 1 ]
check "status: not bound yet" grep -q "^0000:01:00.0 \[10de:1b81\] not bound (boot_vga policy)" "$TMP/out"
mkdir -p "$tree/bus/pci/drivers/vfio-pci" "$tree/bus/pci/drivers/snd_hda_intel"
ln -s ../../../bus/pci/drivers/vfio-pci "$tree/devices/pci0000:00/0000:01:00.0/driver"
ln -s ../../../bus/pci/drivers/snd_hda_intel "$tree/devices/pci0000:00/0000:01:00.1/driver"
"$BINDER" --sysfs "$tree" -c "$conf" --no-cmdline status > "$TMP/out" 2>&1
check "status names the other driver" grep -q "^0000:01:00.1 \[10de:10f0\] bound to snd_hda_intel (companion of 0000:01:00.0)" "$TMP/out"
check "status: ok" grep -q "^0000:01:00.0 \[10de:1b81\] ok (boot_vga policy)" "$TMP/out"
rm "$tree/devices/pci0000:00/0000:01:00.1/driver"
ln -s ../../../bus/pci/drivers/vfio-pci "$tree/devices/pci0000:00/0000:01:00.1/driver"
"$BINDER" --sysfs "$tree" -c "$conf" --no-cmdline status --json > "$TMP/out" 2>&1
check "status exits 0 when everything is bound" [ $? -eq 0 ]
check "status --json ok" grep -q '"ok": true' "$TMP/out"
"$BINDER" --sysfs "$tree" -c "$conf" --no-cmdline list --numeric --group 1 > "$TMP/out" 2>&1
check "list: the group is viable once bound" grep -q "verdict: viable for a guest" "$TMP/out"
check "list shows the driver and override" grep -q "0000:01:00.0 \[0300\] VGA compatible controller: \[10de:1b81\] driver=vfio-pci override=vfio-pci  -> bind: boot_vga policy" "$TMP/out"
check "list shows the boot VGA" sh -c "'$BINDER' --sysfs '$tree' -c '$conf' --no-cmdline list --numeric --group 2 | grep -q 'driver=i915 boot_vga  -> skip'"

# Filters.
tree=$(fake_tree turing-4fn-amd-host)
out=$("$BINDER" --sysfs "$tree" -c "$conf" --no-cmdline list --numeric --gpus | grep -c '^  0000')
check "--gpus: the six functions of the two GPU slots" test "$out" -eq 6
out=$("$BINDER" --sysfs "$tree" -c "$conf" --no-cmdline list --numeric --device 2d:00.3 | grep -c '^  0000')
check "--device: one function" test "$out" -eq 1
out=$("$BINDER" --sysfs "$tree" -c "$conf" --no-cmdline list --numeric --group 14 --json | grep -c '"address"')
check "--group 14: four functions" test "$out" -eq 4
"$BINDER" --sysfs "$tree" list --group x > /dev/null 2>&1
check "bad --group exits 2" [ $? -eq 2 ]
"$BINDER" --sysfs "$tree" list --device ../01:00.0 > "$TMP/out" 2>&1
check "bad --device exits 2" [ $? -eq 2 ]

# Names from the udev hardware database: a known ID, and an unknown one shown by its IDs alone.
if [ -e /usr/lib/udev/hwdb.bin ] || [ -e /lib/udev/hwdb.bin ] || [ -e /etc/udev/hwdb.bin ]; then
	tree=$(fake_tree skylake-gtx1070-igd-host)
	printf '%s\n' '- 0000:00:05.0 0x030000 1234:fedc 0 unknown' > "$TMP/unknown.txt"
	"$MKFAKESYS" "$TMP/unknown.txt" "$TMP/unknown"
	check "hwdb: a known ID gets its names" sh -c "'$BINDER' --sysfs '$tree' -c '$conf' --no-cmdline list --device 01:00.0 | grep -q 'VGA compatible controller: NVIDIA Corporation GP104 \[GeForce GTX 1070\] \[10de:1b81\]'"
	check "hwdb: names in JSON" sh -c "'$BINDER' --sysfs '$tree' -c '$conf' --no-cmdline list --json | grep -q '\"vendor_name\": \"NVIDIA Corporation\", \"device_name\": \"GP104 \[GeForce GTX 1070\]\"'"
	check "hwdb: an unknown ID is shown alone" sh -c "'$BINDER' --sysfs '$TMP/unknown' --no-cmdline -c '$conf' list | grep -q '^  0000:00:05.0 \[0300\] VGA compatible controller: \[1234:fedc\]  -> skip'"
	check "no IOMMU: a flat list, with a note" sh -c "'$BINDER' --sysfs '$TMP/unknown' --no-cmdline -c '$conf' list | grep -q '^No IOMMU groups'"
elif [ -n "${VFIO_BINDER_REQUIRE_ALL:-}" ]; then
	fail "no udev hardware database (install udev) for the name lookup tests"
fi

# group = bind takes a function outside the GPU's slot: plan shows it in full, as bind sees it.
cat > "$TMP/split.txt" <<'EOT'
1 0000:00:01.0 0x060400 8086:1901 - root port
1 0000:01:00.0 0x030000 10de:1b81 0 GTX 1070
1 0000:01:00.1 0x040300 10de:10f0 - its audio
1 0000:02:00.0 0x020000 8086:1539 - a NIC in the same group
2 0000:00:02.0 0x030000 8086:1912 1 the host's GPU
@driver 0000:02:00.0 igb
EOT
"$MKFAKESYS" "$TMP/split.txt" "$TMP/split"
printf '[binder]\npolicy = boot_vga\ngroup = bind\n' > "$TMP/group-bind.conf"
"$BINDER" --sysfs "$TMP/split" -c "$TMP/group-bind.conf" --no-cmdline plan > "$TMP/out" 2>&1
check "group = bind: the NIC's IDs and class in the plan" \
	grep -q '^bind  0000:02:00.0  8086:1539  Ethernet controller         IOMMU group 1 with 0000:01:00.0$' "$TMP/out"
check "group = bind: the NIC's driver in the JSON" sh -c "'$BINDER' --sysfs '$TMP/split' -c '$TMP/group-bind.conf' --no-cmdline plan --json | grep -q '\"address\": \"0000:02:00.0\", \"vendor\": \"8086\", \"device\": \"1539\".*\"driver\": \"igb\"'"

# Usage errors.
"$BINDER" frobnicate > "$TMP/out" 2>&1
check "unknown command exits 2" [ $? -eq 2 ]
check "unknown command is named" grep -q "unknown command 'frobnicate' (expected plan, bind, list, status, monitor, reserve, release or doctor)" "$TMP/out"
"$BINDER" --frobnicate > /dev/null 2>&1
check "unknown option exits 2" [ $? -eq 2 ]
"$BINDER" --log=syslog > "$TMP/out" 2>&1
check "bad --log exits 2" [ $? -eq 2 ]
"$BINDER" --sysfs "$TMP/nonexistent" -c "$conf" --no-cmdline plan > "$TMP/out" 2>&1
check "missing sysfs root exits 2" [ $? -eq 2 ]
check "missing sysfs root is named" grep -q "cannot open the sysfs root $TMP/nonexistent: No such file or directory" "$TMP/out"
check "--help lists the commands" sh -c "'$BINDER' --help | grep -q '^  bind '"
check "--version" sh -c "'$BINDER' --version | grep -q '^vfio-binder '"

# Every parameter that selects devices on its own starts both units, in both
# spellings (systemd compares the words as written).
for unit in vfio-binder.service.in vfio-binder-monitor.service.in; do
	for key in device id policy vfs; do
		for pfx in vfio_binder vfio-binder; do
			check "$unit runs for $pfx.$key alone" \
				grep -qx "ConditionKernelCommandLine=|$pfx.$key" "$TOPDIR/systemd/$unit"
		done
	done
done

# Not root, with a tree mounted on /sys in a private namespace: bind refuses.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v setpriv >/dev/null; then
	tree=$(fake_tree skylake-gtx1070-igd-host)
	chmod -R a+rX "$TMP"
	cp "$conf" "$TMP/ns.conf" && chmod 644 "$TMP/ns.conf"
	unshare -m sh -c "mount --bind '$tree' /sys && setpriv --reuid=65534 --regid=65534 --clear-groups '$BINDER' -c '$TMP/ns.conf' --no-cmdline bind" > "$TMP/out" 2>&1
	check "bind as non-root exits 2" [ $? -eq 2 ]
	check "bind as non-root says why" grep -q "bind writes to /sys and must run as root" "$TMP/out"
	check "bind as non-root wrote nothing" grep -qx '(null)' "$tree/bus/pci/devices/0000:01:00.0/driver_override"
elif [ -n "${VFIO_BINDER_REQUIRE_ALL:-}" ]; then
	fail "the non-root test needs root, unshare and setpriv"
fi

finish
