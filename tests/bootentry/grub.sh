#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# grub/11_vfio-binder through the real grub-mkconfig (Debian's grub-common
# and grub2-common): its entries must equal 10_linux's own, line for line,
# plus vfio_binder=off on the linux line.
#
# What is real: grub-mkconfig, the machine's /etc/grub.d scripts (00_header,
# 10_linux, ...) with ours added, grub-probe on a real ext4 file system
# mounted at /boot, grub-script-check on the result. What is not: the
# kernels and initrds are small dummy files (nothing reads their contents),
# and /boot is a file system image on a loop device, in a private mount
# namespace (unshare -m) with an overlay on /etc, so the machine's /boot and
# /etc are never written; the output goes to a temporary file (-o).
# The loop device is /dev/loop10 or above: grub-mkconfig_lib treats
# /dev/loop0-9 as a loop-mounted image file and probes the disk beneath,
# which is not what a /boot partition looks like. The root file system is
# the machine's own: on this project's VMs grub-probe may not open it
# (EPERM), and grub-mkconfig then writes root=<device> instead of
# root=UUID=, for 10_linux's entries and ours alike.
# shellcheck disable=SC2016 # the inner shells expand
set -u
# shellcheck source-path=SCRIPTDIR source=../hooks/lib.sh
. "$(dirname "$0")/../hooks/lib.sh"

script=$TOPDIR/grub/11_vfio-binder
[[ -f $script ]] || { fail "$script is missing"; finish; exit; }
[[ $(id -u) == 0 ]] || skip "grub-mkconfig, unshare -m and losetup need root"
for tool in grub-mkconfig grub-probe grub-script-check unshare losetup mkfs.ext4; do
	command -v "$tool" >/dev/null ||
		skip "$tool not installed (Debian packages grub-common grub2-common util-linux e2fsprogs)"
done
[[ -x /etc/grub.d/10_linux ]] || skip "/etc/grub.d/10_linux missing (Debian package grub-common)"

tmp=$(mktemp -d)
loop=
cleanup() {
	[[ -n $loop ]] && losetup -d "$loop"
	[[ -n ${KEEP:-} ]] || rm -rf "$tmp"
}
trap cleanup EXIT

# /boot: three kernels (one without an initrd), a microcode early initrd, a
# kernel config, a file grub-mkconfig must ignore, and /boot/grub.
truncate -s 16M "$tmp/boot.img"
mkfs.ext4 -q -F -L testboot "$tmp/boot.img" || skip "mkfs.ext4 failed"
for n in $(seq 10 63); do
	if losetup "/dev/loop$n" "$tmp/boot.img" 2>/dev/null; then
		loop=/dev/loop$n
		break
	fi
done
[[ -n $loop ]] || skip "no free loop device among /dev/loop10-63"
mkdir "$tmp/mnt"
unshare -m bash -c '
	set -e
	mount --make-rprivate /
	mount "$1" "$2"
	cd "$2"
	mkdir grub
	for v in 6.1.0-18-amd64 6.1.0-17-amd64 6.1.0-9-amd64; do echo "kernel $v" >"vmlinuz-$v"; done
	for v in 6.1.0-18-amd64 6.1.0-17-amd64; do echo "initrd $v" >"initrd.img-$v"; done
	echo "CONFIG_LOCALVERSION=\"\"" >config-6.1.0-18-amd64
	echo ucode >amd-ucode.img
	echo junk >vmlinuz-6.1.0-18-amd64.dpkg-tmp
' _ "$loop" "$tmp/mnt" || skip "cannot mount the test /boot"

# mkconfig NAME: runs grub-mkconfig with $tmp/NAME.default as /etc/default/grub
# (and $tmp/NAME.cfgd/*.cfg as /etc/default/grub.d) into $tmp/NAME.cfg.
mkconfig() {
	local name=$1
	mkdir -p "$tmp/$name.upper" "$tmp/$name.work"
	unshare -m bash -c '
		set -e
		mount --make-rprivate /
		mount "$1" /boot
		mount -t overlay overlay -o "lowerdir=/etc,upperdir=$2.upper,workdir=$2.work" /etc
		mkdir -p /etc/default/grub.d
		rm -f /etc/default/grub /etc/default/grub.d/*
		cp "$2.default" /etc/default/grub
		if [ -d "$2.cfgd" ]; then cp "$2.cfgd"/* /etc/default/grub.d/; fi
		install -m 0755 "$3" /etc/grub.d/11_vfio-binder
		grub-mkconfig -o "$2.cfg"
	' _ "$loop" "$tmp/$name" "$script" >"$tmp/$name.out" 2>&1
}

# entries FILE: every menuentry as "TITLE<US>line|line|...", lines trimmed
# (US, the ASCII unit separator, since the lines hold tabs).
entries() {
	awk '
		/^[ \t]*menuentry / {
			t = $0; sub(/^[ \t]*menuentry \047/, "", t); sub(/\047 .*/, "", t)
			body = ""; inside = 1; next
		}
		inside && /^[ \t]*}[ \t]*$/ { print t "\037" body; inside = 0; next }
		inside { l = $0; sub(/^[ \t]+/, "", l); if (l != "") body = body (body == "" ? "" : "|") l }
	' "$1"
}

# same_but_off FILE NORMAL-TITLE FALLBACK-TITLE: the fallback's body is the
# normal body with " vfio_binder=off" at the end of the linux line.
same_but_off() {
	local normal fallback expected
	normal=$(entries "$1" | awk -F'\037' -v t="$2" '$1 == t { print $2; exit }')
	fallback=$(entries "$1" | awk -F'\037' -v t="$3" '$1 == t { print $2; exit }')
	[[ -n $normal ]] || { echo "no entry '$2' in $1" >&2; return 1; }
	[[ -n $fallback ]] || { echo "no entry '$3' in $1" >&2; return 1; }
	expected=$(printf '%s' "$normal" | sed 's/^\(.*|\)\{0,1\}\(linux\t[^|]*\)/\1\2 vfio_binder=off/')
	# Without GRUB_SAVEDEFAULT the normal entry has no savedefault either.
	normal_linux=$(printf '%s' "$normal" | tr '|' '\n' | grep -c '^linux' || true)
	[[ $normal_linux == 1 ]] || { echo "'$2' has $normal_linux linux lines" >&2; return 1; }
	if [[ $fallback != "$expected" ]]; then
		printf 'normal:   %s\nexpected: %s\nfallback: %s\n' "$normal" "$expected" "$fallback" >&2
		return 1
	fi
}

# --- Debian's defaults, with a command line worth copying -----------------------
cat >"$tmp/debian.default" <<'CONF'
GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR=Debian
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX="console=ttyS0,115200n8 intel_iommu=on vfio_binder.device=01:00.0 acpi_osi=\"Windows 2015\""
CONF
start=$SECONDS
check "grub-mkconfig succeeds (grub-script-check included)" mkconfig debian
cfg=$tmp/debian.cfg
if [[ ! -s $cfg ]]; then
	cat "$tmp/debian.out" >&2
	finish
	exit
fi
check "grub-mkconfig read the test /boot through grub-probe (search --fs-uuid of the loop file system)" \
	grep -q "search --no-floppy --fs-uuid --set=root $(blkid -s UUID -o value "$loop")" "$cfg"
check "the simple entry: same as 10_linux's plus vfio_binder=off" \
	same_but_off "$cfg" "Debian GNU/Linux" "Debian GNU/Linux (without vfio-binder)"
for v in 6.1.0-18-amd64 6.1.0-17-amd64 6.1.0-9-amd64; do
	check "$v: same as 10_linux's entry plus vfio_binder=off" \
		same_but_off "$cfg" "Debian GNU/Linux, with Linux $v" "Debian GNU/Linux, with Linux $v (without vfio-binder)"
done
check "the newest kernel takes the early microcode and its initrd, in 10_linux's order" \
	grep -qP '^\t\tinitrd\t/amd-ucode.img /initrd.img-6.1.0-18-amd64$' \
	<(sed -n '/BEGIN .*11_vfio-binder/,/END .*11_vfio-binder/p' "$cfg")
check "the command line is copied as written, quotes and all" \
	grep -qF 'acpi_osi="Windows 2015" quiet vfio_binder=off' "$cfg"
# count_entries FILE PATTERN: how many entries have a title matching PATTERN
count_entries() { entries "$1" | cut -d $'\037' -f1 | grep -c -- "$2"; }
# entry_body FILE TITLE
entry_body() { entries "$1" | awk -F'\037' -v t="$2" '$1 == t { print $2; exit }'; }
check "exactly 4 entries without vfio-binder (simple + one per kernel), the .dpkg-tmp file ignored" \
	test "$(count_entries "$cfg" '(without vfio-binder)$')" = 4
check "every entry without vfio-binder comes after 10_linux's" \
	test "$(grep -n "menuentry " "$cfg" | grep -v "without vfio-binder" | tail -n1 | cut -d: -f1)" \
	-lt "$(grep -n "menuentry .*without vfio-binder" "$cfg" | head -n1 | cut -d: -f1)"
check "the default entry (GRUB_DEFAULT=0, the first) is 10_linux's" \
	test "$(entries "$cfg" | head -n1 | cut -d $'\037' -f1)" = "Debian GNU/Linux"
check "the per-kernel entries sit in their own submenu" \
	grep -qF "submenu 'Advanced options for Debian GNU/Linux (without vfio-binder)'" "$cfg"
check "no recovery entry without vfio-binder" \
	bash -c '! grep -q "recovery mode) (without vfio-binder)\|without vfio-binder.*recovery" "$1"' _ "$cfg"
check "grub-mkconfig reports the entries it adds" \
	grep -q 'Adding boot menu entry without vfio-binder for /boot/vmlinuz-6.1.0-18-amd64' "$tmp/debian.out"

# --- savedefault, gfxpayload, no submenu ----------------------------------------
cat >"$tmp/flat.default" <<'CONF'
GRUB_DEFAULT=saved
GRUB_SAVEDEFAULT=true
GRUB_DISABLE_SUBMENU=y
GRUB_GFXPAYLOAD_LINUX=keep
GRUB_CMDLINE_LINUX="rd.luks.uuid=1234"
CONF
check "grub-mkconfig succeeds with GRUB_DISABLE_SUBMENU=y" mkconfig flat
cfg=$tmp/flat.cfg
starts_with() { [[ $1 == "$2"* ]]; }
check "10_linux's entries savedefault (GRUB_SAVEDEFAULT=true)" \
	starts_with "$(entry_body "$cfg" "GNU/Linux, with Linux 6.1.0-18-amd64")" "savedefault|"
check "the entries without vfio-binder never savedefault" \
	bash -c '! grep -q "without vfio-binder.*savedefault"' < <(entries "$cfg")
check "gfxmode \$linux_gfx_mode as in 10_linux (GRUB_GFXPAYLOAD_LINUX=keep)" \
	starts_with "$(entry_body "$cfg" "GNU/Linux, with Linux 6.1.0-17-amd64 (without vfio-binder)")" \
	"load_video|gfxmode \$linux_gfx_mode|"
check "no submenu without vfio-binder" bash -c '! grep -q "^submenu .*without vfio-binder" "$1"' _ "$cfg"
check "one top-level entry per kernel" test "$(grep -c "^menuentry .*(without vfio-binder)" "$cfg")" = 3
# 10_linux adds savedefault; everything else matches.
for v in 6.1.0-18-amd64 6.1.0-9-amd64; do
	sed '/^\tsavedefault$/d' "$cfg" >"$tmp/flat-nosave.cfg"
	check "$v without a submenu: same as 10_linux's entry (less savedefault) plus vfio_binder=off" \
		same_but_off "$tmp/flat-nosave.cfg" "GNU/Linux, with Linux $v" "GNU/Linux, with Linux $v (without vfio-binder)"
done

# --- opting out -------------------------------------------------------------------
printf 'GRUB_DEFAULT=0\nGRUB_DISABLE_VFIO_BINDER_FALLBACK=true\n' >"$tmp/off.default"
check "grub-mkconfig succeeds with GRUB_DISABLE_VFIO_BINDER_FALLBACK=true" mkconfig off
check "GRUB_DISABLE_VFIO_BINDER_FALLBACK=true in /etc/default/grub: no entry without vfio-binder" \
	bash -c 'grep -q "BEGIN .*11_vfio-binder" "$1" && ! grep -q "without vfio-binder" "$1"' _ "$tmp/off.cfg"
check "... while 10_linux's entries stay" grep -q "^menuentry 'GNU/Linux'" "$tmp/off.cfg"
printf 'GRUB_DEFAULT=0\n' >"$tmp/offd.default"
mkdir "$tmp/offd.cfgd"
echo 'GRUB_DISABLE_VFIO_BINDER_FALLBACK=true' >"$tmp/offd.cfgd/vfio-binder.cfg"
check "grub-mkconfig succeeds with the opt-out in /etc/default/grub.d" mkconfig offd
check "GRUB_DISABLE_VFIO_BINDER_FALLBACK=true in /etc/default/grub.d/*.cfg: no entry without vfio-binder" \
	bash -c '! grep -q "without vfio-binder" "$1"' _ "$tmp/offd.cfg"

echo "grub-mkconfig runs took $((SECONDS - start)) s"
finish
