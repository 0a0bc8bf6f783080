#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real images: dracut (systemd flavour with a configuration; shell flavour
# without one) and initramfs-tools, built by the real generators from a staged
# "make install DESTDIR=...", for Debian's kernel, and inspected with lsinitrd,
# lsinitramfs and unmkinitramfs. Needs root (private mount namespace).
# shellcheck disable=SC2016 # single-quoted scripts for inner shells, by design
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=stage.sh
. "$(dirname "$0")/stage.sh"

need_root
for t in dracut lsinitrd mkinitramfs lsinitramfs unmkinitramfs modprobe; do
	command -v "$t" >/dev/null || skip "$t not found (Debian packages dracut-core, initramfs-tools, kmod)"
done
kver=$(test_kver) || skip "no kernel in /lib/modules with /boot/vmlinuz-* (Debian package linux-image-amd64)"
stage_build || { fail "staged install (see above)"; finish; exit; }

tmp=$(mktemp -d /var/tmp/vfio-images.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/etc" "$tmp/noetc"
conf_marker="# images.sh $$ $RANDOM"
printf '%s\n[binder]\npolicy = boot_vga\n' "$conf_marker" >"$tmp/etc/vfio.conf"

bin=$STAGE/root/usr/sbin/vfio-binder
check "staged binary at /usr/sbin/vfio-binder" test -x "$bin"
# What the image must hold, from this kernel and this binary, not from a list.
mapfile -t mods < <(modprobe -S "$kver" --ignore-install --show-depends vfio-pci |
	awk '$1 == "insmod" { n = split($2, p, "/"); print p[n] }' | sort -u)
mapfile -t libs < <(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { n = split($3, p, "/"); print p[n] }')
check "vfio-pci has dependencies to look for (${mods[*]})" test "${#mods[@]}" -ge 2
check "the binary has shared libraries to look for (${libs[*]})" test "${#libs[@]}" -ge 2

# lsinitrd lists like ls -l: keep the path, and a symlink's own name.
lsinitrd_names() {
	lsinitrd "$1" | awk 'NF >= 3 && $(NF - 1) == "->" { print $(NF - 2); next } NF { print $NF }'
}
# in_list LISTING NAME: a file named NAME (any directory) is in the listing.
in_list() { grep -qE "(^|/)${2//./\\.}( |$)" "$1"; }
listing_checks() {
	local what=$1 list=$2 m l
	for m in "${mods[@]}"; do
		check "$what: module $m" in_list "$list" "$m"
	done
	for l in "${libs[@]}"; do
		check "$what: library $l" in_list "$list" "$l"
	done
}

# --- dracut, systemd flavour, configuration present: the module comes in on its own.
echo "# dracut (systemd flavour) for $kver"
start=$SECONDS
if staged "$tmp/etc" dracut --force --quiet --no-hostonly --kver "$kver" --tmpdir "$tmp" \
	"$tmp/dracut-systemd.img" >"$tmp/dracut.log" 2>&1; then
	pass "dracut built an image in $((SECONDS - start)) s"
	img=$tmp/dracut-systemd.img
	lsinitrd_names "$img" >"$tmp/list"
	lsinitrd -m "$img" >"$tmp/modules" 2>&1
	check "dracut: vfio-binder module included without --add (a configuration exists)" grep -qx 'vfio-binder' "$tmp/modules"
	check "dracut: systemd flavour" grep -qx 'systemd' "$tmp/modules"
	check "dracut: binary at usr/sbin/vfio-binder" grep -qx 'usr/sbin/vfio-binder' "$tmp/list"
	check "dracut: the configuration is this machine's" \
		bash -c 'lsinitrd -f etc/vfio.conf "$1" | grep -qxF "$2"' _ "$img" "$conf_marker"
	check "dracut: hook in pre-udev" grep -qE '^usr/lib/dracut/hooks/pre-udev/30-vfio-binder-hook\.sh$' "$tmp/list"
	check "dracut: the hook runs the installed binary's bind" \
		bash -c 'lsinitrd -f usr/lib/dracut/hooks/pre-udev/30-vfio-binder-hook.sh "$1" | grep -q "/usr/sbin/vfio-binder bind"' _ "$img"
	check "dracut: dracut-pre-udev.service runs the hook before systemd-udevd" \
		bash -c 'lsinitrd -f usr/lib/systemd/system/dracut-pre-udev.service "$1" | grep -q "^Before=.*systemd-udevd.service"' _ "$img"
	listing_checks dracut "$tmp/list"
else
	fail "dracut failed:"
	cat "$tmp/dracut.log"
fi

# --- dracut module check(): without a configuration, only when asked for.
check "dracut check(): 0 with a configuration" staged "$tmp/etc" bash -c '
	require_binaries() { [[ -x $1 ]]; }
	. "$1"/90vfio-binder/module-setup.sh; check' _ "$(pkg-config --variable=dracutmodulesdir dracut)"
check "dracut check(): 255 (only on request) without one" staged "$tmp/noetc" bash -c '
	require_binaries() { [[ -x $1 ]]; }
	[[ ! -e /etc/vfio.conf ]] || exit 9
	. "$1"/90vfio-binder/module-setup.sh; check; [[ $? == 255 ]]' _ "$(pkg-config --variable=dracutmodulesdir dracut)"

# --- dracut, shell flavour (no systemd), no configuration, module added by hand.
echo "# dracut (no systemd) for $kver"
start=$SECONDS
if staged "$tmp/noetc" dracut --force --quiet --no-hostonly --kver "$kver" --tmpdir "$tmp" \
	--omit "systemd systemd-initrd dracut-systemd" --add vfio-binder \
	"$tmp/dracut-sh.img" >"$tmp/dracut.log" 2>&1; then
	pass "dracut built an image in $((SECONDS - start)) s"
	img=$tmp/dracut-sh.img
	lsinitrd_names "$img" >"$tmp/list"
	lsinitrd -m "$img" >"$tmp/modules" 2>&1
	check "dracut-sh: vfio-binder module included (--add)" grep -qx 'vfio-binder' "$tmp/modules"
	check "dracut-sh: no systemd" bash -c '! grep -qx systemd "$1"' _ "$tmp/modules"
	check "dracut-sh: binary" grep -qx 'usr/sbin/vfio-binder' "$tmp/list"
	check "dracut-sh: no configuration in the image when the host has none" bash -c '! grep -qx etc/vfio.conf "$1"' _ "$tmp/list"
	check "dracut-sh: hook in pre-udev" grep -qx 'usr/lib/dracut/hooks/pre-udev/30-vfio-binder-hook.sh' "$tmp/list"
	check "dracut-sh: init.sh runs pre-udev hooks before starting udevd" \
		bash -c 'lsinitrd -f init "$1" | awk "/source_hook pre-udev/ { h = NR } /udevd/ && !u { u = NR } END { exit !(h && u && h < u) }"' _ "$img"
	listing_checks dracut-sh "$tmp/list"
else
	fail "dracut (no systemd) failed:"
	cat "$tmp/dracut.log"
fi

# --- initramfs-tools, with this machine's initramfs-tools configuration.
echo "# initramfs-tools for $kver"
cp -a /etc/initramfs-tools "$tmp/itconf"
start=$SECONDS
if staged "$tmp/etc" mkinitramfs -d "$tmp/itconf" -o "$tmp/itools.img" "$kver" >"$tmp/mkinitramfs.log" 2>&1; then
	pass "mkinitramfs built an image in $((SECONDS - start)) s"
	img=$tmp/itools.img
	lsinitramfs "$img" >"$tmp/list"
	check "initramfs-tools: binary at usr/sbin/vfio-binder" grep -qx 'usr/sbin/vfio-binder' "$tmp/list"
	check "initramfs-tools: configuration" grep -qx 'etc/vfio.conf' "$tmp/list"
	check "initramfs-tools: init-top script" grep -qx 'scripts/init-top/00-vfio-binder' "$tmp/list"
	listing_checks initramfs-tools "$tmp/list"
	mkdir "$tmp/unpacked"
	unmkinitramfs "$img" "$tmp/unpacked"
	root=$tmp/unpacked
	[[ -d $root/main ]] && root=$root/main
	check "initramfs-tools: the configuration is this machine's" grep -qxF "$conf_marker" "$root/etc/vfio.conf"
	# The arrangement the init-top script relies on: it runs before udev's.
	order=$root/scripts/init-top/ORDER
	check "initramfs-tools: init-top ORDER runs 00-vfio-binder before udev" \
		awk '/init-top\/00-vfio-binder / { v = NR } /init-top\/udev / { u = NR } END { exit !(v && u && v < u) }' "$order"
	check "initramfs-tools: init-top script is executable" test -x "$root/scripts/init-top/00-vfio-binder"
else
	fail "mkinitramfs failed:"
	cat "$tmp/mkinitramfs.log"
fi
finish
