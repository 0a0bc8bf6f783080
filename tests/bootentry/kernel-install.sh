#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kernel-install/91-vfio-binder.install through the real kernel-install and
# 90-loaderentry.install of systemd (Debian 12: 252), then the order
# systemd's own bootctl (Debian package systemd-boot) gives the entries.
#
# What is real: /usr/bin/kernel-install, 90-loaderentry.install writing the
# normal entry, our plugin, bootctl list parsing and sorting what they wrote.
# What is not: the kernel and initrd are small dummy files, the plugins are
# limited to those two (KERNEL_INSTALL_PLUGINS: the machine may also have
# dracut's or initramfs-tools' plugins, which would build images), and the
# configuration comes from KERNEL_INSTALL_CONF_ROOT (install.conf with
# layout=bls, cmdline, entry-token). $BOOT is a temporary directory, then (as
# root) a tmpfs in a private mount namespace, which bootctl needs; the
# machine's /boot is never written.
# shellcheck disable=SC2016 # the inner shells expand
set -u
# shellcheck source-path=SCRIPTDIR source=../hooks/lib.sh
. "$(dirname "$0")/../hooks/lib.sh"

plugin=$TOPDIR/kernel-install/91-vfio-binder.install
loaderentry=/usr/lib/kernel/install.d/90-loaderentry.install
[[ -x $plugin ]] || { fail "$plugin is missing or not executable"; finish; exit; }
if ! command -v kernel-install >/dev/null || [[ ! -x $loaderentry ]]; then
	skip "kernel-install or $loaderentry missing (Debian package systemd)"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mid=0123456789abcdef0123456789abcdef
mkdir -p "$tmp/conf" "$tmp/src"
echo layout=bls >"$tmp/conf/install.conf"
echo "root=UUID=5e1f-test ro quiet  intel_iommu=on" >"$tmp/conf/cmdline"
echo "$mid" >"$tmp/conf/entry-token"
for v in 6.1.0-17-amd64 6.1.0-18-amd64; do
	echo "kernel $v" >"$tmp/src/vmlinuz-$v"
	echo "initrd $v" >"$tmp/src/initrd.img-$v"
done

# ki BOOT-ROOT kernel-install-args...: the real kernel-install, our plugin after 90-loaderentry.
ki() {
	local boot=$1
	shift
	MACHINE_ID=$mid BOOT_ROOT=$boot KERNEL_INSTALL_CONF_ROOT=$tmp/conf \
		KERNEL_INSTALL_PLUGINS="$loaderentry $plugin" kernel-install "$@"
}

# expected_copy NORMAL: what the copy must hold, after our two comment lines.
expected_copy() {
	awk '$1 == "title" { print $0 " (without vfio-binder)"; next }
		$1 == "options" { print $0 " vfio_binder=off"; next } { print }' "$1"
}
same_as_expected() { # NORMAL FALLBACK
	diff <(expected_copy "$1") <(grep -v '^#' "$2")
}

# --- kernel-install add/remove, $BOOT a directory --------------------------------
boot=$tmp/boot
mkdir -p "$boot/$mid"
e=$boot/loader/entries
start=$SECONDS
check "kernel-install add 6.1.0-18-amd64 succeeds" \
	ki "$boot" add 6.1.0-18-amd64 "$tmp/src/vmlinuz-6.1.0-18-amd64" "$tmp/src/initrd.img-6.1.0-18-amd64"
check "90-loaderentry.install wrote the normal entry" test -f "$e/$mid-6.1.0-18-amd64.conf"
check "the plugin wrote the copy beside it" test -f "$e/$mid-6.1.0-18-amd64-vfio-binder-off.conf"
check "the copy: the same lines, title + ' (without vfio-binder)', options + ' vfio_binder=off'" \
	same_as_expected "$e/$mid-6.1.0-18-amd64.conf" "$e/$mid-6.1.0-18-amd64-vfio-binder-off.conf"
check "the copy has the same linux and initrd lines as the normal entry" \
	diff <(grep -E '^(linux|initrd) ' "$e/$mid-6.1.0-18-amd64.conf") \
	<(grep -E '^(linux|initrd) ' "$e/$mid-6.1.0-18-amd64-vfio-binder-off.conf")
check "the copy's options end in vfio_binder=off, after the configured command line" \
	grep -qE '^options +root=UUID=5e1f-test ro quiet intel_iommu=on .*vfio_binder=off$' \
	"$e/$mid-6.1.0-18-amd64-vfio-binder-off.conf"
check "kernel-install add 6.1.0-17-amd64 succeeds" \
	ki "$boot" add 6.1.0-17-amd64 "$tmp/src/vmlinuz-6.1.0-17-amd64" "$tmp/src/initrd.img-6.1.0-17-amd64"
check "4 entries" test "$(find "$e" -name '*.conf' | wc -l)" = 4
check "kernel-install remove 6.1.0-18-amd64 succeeds" ki "$boot" remove 6.1.0-18-amd64
check "remove deletes the normal entry and the copy" \
	bash -c '! ls "$1"/*6.1.0-18-amd64* 2>/dev/null' _ "$e"
check "the other kernel's entries stay" \
	test -f "$e/$mid-6.1.0-17-amd64.conf" -a -f "$e/$mid-6.1.0-17-amd64-vfio-binder-off.conf"
check "kernel-install remove 6.1.0-17-amd64 leaves no entry" \
	bash -c 'MACHINE_ID=$1 BOOT_ROOT=$2 KERNEL_INSTALL_CONF_ROOT=$3 KERNEL_INSTALL_PLUGINS="$4 $5" \
		kernel-install remove 6.1.0-17-amd64 && [ -z "$(ls "$2/loader/entries")" ]' \
	_ "$mid" "$boot" "$tmp/conf" "$loaderentry" "$plugin"

# --- boot counting: the normal entry is ...+3.conf, the copy has no counter -----
echo 3 >"$tmp/conf/tries"
check "kernel-install add with /etc/kernel/tries succeeds" \
	ki "$boot" add 6.1.0-18-amd64 "$tmp/src/vmlinuz-6.1.0-18-amd64" "$tmp/src/initrd.img-6.1.0-18-amd64"
check "boot counting: copy of $mid-6.1.0-18-amd64+3.conf, without a counter" \
	same_as_expected "$e/$mid-6.1.0-18-amd64+3.conf" "$e/$mid-6.1.0-18-amd64-vfio-binder-off.conf"
check "boot counting: remove deletes both" \
	bash -c 'MACHINE_ID=$1 BOOT_ROOT=$2 KERNEL_INSTALL_CONF_ROOT=$3 KERNEL_INSTALL_PLUGINS="$4 $5" \
		kernel-install remove 6.1.0-18-amd64 && [ -z "$(ls "$2/loader/entries")" ]' \
	_ "$mid" "$boot" "$tmp/conf" "$loaderentry" "$plugin"
rm "$tmp/conf/tries"

# --- the plugin alone: other layouts, failures -----------------------------------
plug() { # LAYOUT ARGS...: the plugin as kernel-install calls it
	local layout=$1
	shift
	KERNEL_INSTALL_LAYOUT=$layout KERNEL_INSTALL_BOOT_ROOT=$boot KERNEL_INSTALL_ENTRY_TOKEN=$mid \
		KERNEL_INSTALL_VERBOSE=0 "$plugin" "$@"
}
# absent FILE COMMAND...: the command succeeds and FILE does not exist after it
absent() { local f=$1; shift; "$@" && [[ ! -e $f ]]; }
# has_line FILE LINE COMMAND...: the command succeeds and FILE holds LINE
has_line() { local f=$1 l=$2; shift 2; "$@" && grep -qxF -- "$l" "$f"; }
# warns PATTERN COMMAND...: the command's stderr matches PATTERN
warns() { local p=$1; shift; "$@" 2>&1 >/dev/null | grep -q -- "$p"; }
mkdir -p "$e"
printf 'title      T\nversion    9\nlinux      /%s/9/linux\n' "$mid" >"$e/$mid-9.conf"
check "layout other: exit 0, nothing written" \
	absent "$e/$mid-9-vfio-binder-off.conf" plug other add 9 "$boot/$mid/9"
check "layout uki: exit 0, nothing written" \
	absent "$e/$mid-9-vfio-binder-off.conf" plug uki add 9 "$boot/$mid/9"
check "an entry without options gets an options line" \
	has_line "$e/$mid-9-vfio-binder-off.conf" "options    vfio_binder=off" plug bls add 9 "$boot/$mid/9"
check "no normal entry (a UKI, or 90-loaderentry masked): exit 0, nothing written" \
	absent "$e/$mid-10-vfio-binder-off.conf" plug bls add 10 "$boot/$mid/10"
mkdir "$e/$mid-9-vfio-binder-off.conf.tmp"
rm -f "$e/$mid-9-vfio-binder-off.conf"
check "a copy it cannot write: exit 0 (the kernel installs all the same)" plug bls add 9 "$boot/$mid/9"
check "... and a warning naming the file" \
	warns "^vfio-binder: cannot write .*-9-vfio-binder-off.conf" plug bls add 9 "$boot/$mid/9"
check "inspect and unknown commands: exit 0" plug bls inspect 9
rm -rf "$e"

# --- as root: a real mount as $BOOT, so bootctl can list and order the entries ---
[[ $(id -u) == 0 ]] || skip "bootctl and a tmpfs \$BOOT need root (the part above passed)"
command -v bootctl >/dev/null || skip "bootctl not installed (Debian package systemd-boot)"
command -v unshare >/dev/null || skip "unshare not installed (util-linux)"

# ns OS-RELEASE OUT: both kernels through kernel-install in a namespace where
# $tmp/esp is a tmpfs and /etc/os-release is OS-RELEASE; bootctl's list into OUT.
ns() {
	mkdir -p "$tmp/esp"
	unshare -m bash -c '
		set -e
		mount --make-rprivate /
		mount -t tmpfs vfio-binder-test-esp "$1/esp"
		mount --bind "$2" /etc/os-release
		mkdir "$1/esp/$3"
		for v in 6.1.0-17-amd64 6.1.0-18-amd64; do
			MACHINE_ID=$3 BOOT_ROOT=$1/esp KERNEL_INSTALL_CONF_ROOT=$1/conf \
				KERNEL_INSTALL_PLUGINS="$4 $5" \
				kernel-install add $v "$1/src/vmlinuz-$v" "$1/src/initrd.img-$v"
		done
		SYSTEMD_RELAX_ESP_CHECKS=1 bootctl --esp-path="$1/esp" --no-pager list
	' _ "$tmp" "$1" "$mid" "$loaderentry" "$plugin" >"$2"
}
# order LIST: "id (default)" per entry, in bootctl's order.
order() {
	awk '$1 == "title:" { d = ($0 ~ /\(default\)/) ? " (default)" : "" }
		$1 == "id:" { print $2 d }' "$1"
}
want="$mid-6.1.0-18-amd64.conf (default)
$mid-6.1.0-18-amd64-vfio-binder-off.conf
$mid-6.1.0-17-amd64.conf
$mid-6.1.0-17-amd64-vfio-binder-off.conf"

printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n' >"$tmp/os-release"
check "kernel-install and bootctl list in a namespace (sort-key debian)" \
	ns "$tmp/os-release" "$tmp/list-sortkey"
check "bootctl: the entries carry sort-key debian" grep -q 'sort-key: debian' "$tmp/list-sortkey"
check "bootctl: each copy right after its kernel's entry, the newest kernel's entry the default" \
	diff <(echo "$want") <(order "$tmp/list-sortkey")
check "bootctl: the copy's title and options" \
	grep -qF 'title: Debian GNU/Linux 12 (bookworm) (without vfio-binder)' "$tmp/list-sortkey"
# Without ID= in os-release 90-loaderentry writes no sort-key, and systemd-boot
# orders by entry name alone.
printf 'PRETTY_NAME="Some Linux"\n' >"$tmp/os-release"
check "kernel-install and bootctl list in a namespace (no sort-key)" \
	ns "$tmp/os-release" "$tmp/list-nokey"
check "bootctl without sort-key: no sort-key line" bash -c '! grep -q sort-key "$1"' _ "$tmp/list-nokey"
check "bootctl without sort-key: the same order, the same default" \
	diff <(echo "$want") <(order "$tmp/list-nokey")

echo "kernel-install and bootctl runs took $((SECONDS - start)) s"
finish
