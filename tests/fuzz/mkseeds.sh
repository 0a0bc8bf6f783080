#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Regenerates the seed corpora in tests/fuzz/corpus/ from the tests' own
# inputs: the configurations in tests/conf/ and examples/, the command lines
# and addresses the unit tests use, and the topologies in tests/topologies/
# written in fuzz-sysfs's format (see fuzz-sysfs.c), plus a few hostile
# trees. Run it after adding test inputs, and commit the result.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out="$top/tests/fuzz/corpus"
rm -rf "$out"
mkdir -p "$out/fuzz-conf" "$out/fuzz-cmdline" "$out/fuzz-pciaddr" "$out/fuzz-sysfs" "$out/fuzz-sysfs-noopenat2"

for f in "$top"/tests/conf/*.conf "$top"/examples/*.conf; do
	cp "$f" "$out/fuzz-conf/$(basename "$(dirname "$f")")-$(basename "$f")"
done

# Every C string literal of a test file, escapes undone, one a line.
strings_of() {
	grep -oE '"([^"\\]|\\.)*"' "$1" | sed 's/^"//; s/"$//'
}

# Every section and line form, so that mutation starts inside each of them
# (an '=' in an inline comment of [sriov] crashed the parser until the
# fuzzer reached it from here).
cat > "$out/fuzz-conf/everything.conf" <<'EOF'
[binder]
policy = list
driver = vfio-pci
companions = slot
group = check
unbind = no
require_iommu = yes
load = yes
preload = vfio_iommu_type1
return_to_host = yes
[devices]
device = 0000:01:00.0 @ 10de:1b81 1458:3771 driver=auto reset_method=bus return_to_host=no
device = 02:00.0
id = 10de:1b81 ; a comment
id = 10de:10f0
exclude = 01:00.1
vfs = 0000:04:00.0 @ 1b36:0010
[options]
disable_vga = 1
[sriov]
0000:04:00.0 @ 1b36:0010 = 2
0000:05:00.0 = 0 ; none
[access]
owner = root
group = kvm
mode = 0660
EOF

n=0
# shellcheck disable=SC2016 # a literal $TMP in the pattern
{ strings_of "$top/tests/test-cmdline.c" | grep vfio; sed -n 's/^echo "\(.*\)" > "$TMP\/cmdline"$/\1/p' "$top/tests/cli.sh"; } |
while IFS= read -r line; do
	n=$((n + 1))
	printf '%b' "$line" > "$out/fuzz-cmdline/test-$n"
done
printf 'BOOT_IMAGE=/vmlinuz root=UUID=1 ro quiet vfio_binder.policy=boot_vga "vfio_binder.device=01:00.0,02:00.0" vfio-binder.id=10de:1b81 vfio_binder.exclude=03:00.0 -- vfio_binder=off\n' \
	> "$out/fuzz-cmdline/everything"

n=0
strings_of "$top/tests/test-pciaddr.c" | while IFS= read -r line; do
	n=$((n + 1))
	printf '%b' "$line" > "$out/fuzz-pciaddr/test-$n"
done

# Topologies: GROUP ADDR CLASS VENDOR:DEVICE BOOT_VGA NAME -> ADDR|class|vendor|device|boot_vga|group
for t in "$top"/tests/topologies/*.txt; do
	name=$(basename "$t" .txt)
	for policy in "vfio_binder.policy=boot_vga" "vfio_binder.device=01:00.0,2d:00.0" "vfio_binder.id=10de:1e87,10de:1b81 vfio_binder.group=bind"; do
		n=$(printf '%s' "$policy" | cksum | cut -c1-6)
		{
			echo "$policy"
			awk '/^[0-9-]/ { split($4, id, ":");
				printf "%s|%s\\n|0x%s\\n|0x%s\\n|%s|%s|-|(null)\\n\n", $2, $3, id[1], id[2],
					$5 == "-" ? "-" : $5 "\\n", $1 }' "$t"
		} > "$out/fuzz-sysfs/$name-$n"
	done
done
# Hostile trees: garbage attributes, links out of the root, odd names and groups.
printf '%s\n' "vfio_binder.policy=boot_vga vfio_binder.unbind=1" \
	'0000:01:00.0|0x030000\n|0x10de|0x1b81|1\n\0garbage|1|/etc|vfio-pci\n|' \
	'0000:01:00.1|0x0403|0xzzzz|0x|2|/|../../../../../../../../tmp|\0|' \
	'0000:01:00.2|||||99999999999|nvidia' \
	'0000:02:00.0|0x030200|0x10de|0x20b0|-|-1|-|-|/' \
	'0000:02:00.1|0x030000|0x1002|0x73ff|1|1|amdgpu|-|../../../../..' \
	'../x|0x030000|0x1|0x2|1|1|-' \
	'not-an-address|0x030000' \
	'0000:03:00.0|0x0300000000000000000000000000000000000000|0x10de\n\n\n|0x1b81\0\0|0\n1|1/..|..|' \
	> "$out/fuzz-sysfs/hostile-1"
printf '%s\n' "vfio_binder.id=10de:1b81 vfio_binder.device=0000:01:00.0,0000:01:00.1 vfio_binder.group=check" \
	'0000:01:00.0|0x030000|0x10de|0x1b81|0|7|.|' \
	'0000:01:00.1|0x040300|0x10de|0x10f0|-|7|..|' \
	'0000:00:02.0|0x030000|0x8086|0x1912|1|8|i915|' \
	'0000:00:02.0|0x060400|0x8086|0x1901|-|7|pcieport|' \
	> "$out/fuzz-sysfs/hostile-2"
# Links anywhere, and paths opened through them ("@NAME|TARGET", "?PATH").
printf '%s\n' "vfio_binder.policy=boot_vga" \
	'0000:01:00.0|0x030000|0x10de|0x1b81|0|1|-|' \
	'@a|../devices/pci0000:00' '@b|/etc' '@c|../../..' '@d|a/../../links/b' '@e|e' \
	'@f|../bus/pci/devices/0000:01:00.0' '@g|f/../../../..' \
	'?links/a/0000:01:00.0/class' '?links/b/passwd' '?links/c' '?links/d/x' '?links/e' \
	'?links/f/driver_override' '?links/g' '?../etc' '?/etc/passwd' '?.' \
	'?bus/pci/devices/0000:01:00.0/../../../../..' '?bus/pci/devices/0000:01:00.0/iommu_group/devices' \
	> "$out/fuzz-sysfs/links-1"
# The fallback harness starts from the same trees.
cp "$out"/fuzz-sysfs/* "$out/fuzz-sysfs-noopenat2/"
