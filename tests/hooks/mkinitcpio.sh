#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mkinitcpio is not packaged for Debian: source its install and runtime hooks
# here with stand-ins for mkinitcpio's functions and check what they ask for.
# shellcheck disable=SC2317,SC2016 # stand-ins called by sourced files; inner shells expand
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

install_file=$BUILDDIR/mkinitcpio/install/vfio-binder
hook_file=$BUILDDIR/mkinitcpio/hooks/vfio-binder
[[ -f $install_file && -f $hook_file ]] || { fail "generated mkinitcpio files missing; run make"; finish; exit; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The paths configure chose, as the generated file names them.
conf=$(grep -o '/[^ ]*/vfio\.conf' "$install_file" | head -n1)
[[ -n $conf ]] || fail "the install hook names no vfio.conf"

# Runs build() in a subshell with a given HOOKS array; the calls land in $tmp/calls.
# $1: yes or no, whether the configuration exists; the rest: the HOOKS array.
run_build() {
	local have_conf=$1
	shift
	# Point the file's configuration path at a private one we control.
	mkdir -p "$tmp/etc"
	rm -f "$tmp/etc/vfio.conf"
	[[ $have_conf == yes ]] && echo '[binder]' >"$tmp/etc/vfio.conf"
	sed "s|$conf|$tmp/etc/vfio.conf|g" "$install_file" >"$tmp/install"
	(
		# shellcheck disable=SC2034 # read by the sourced build()
		HOOKS=("$@")
		add_binary() { echo "add_binary $*"; }
		add_module() { echo "add_module $*"; }
		add_file() { echo "add_file ${*//$tmp\/etc/ETC}"; }
		add_runscript() { echo "add_runscript"; }
		add_systemd_unit() { echo "add_systemd_unit $*"; }
		add_symlink() { echo "add_symlink $*"; }
		add_dir() { echo "add_dir $*"; }
		add_full_dir() { echo "add_full_dir $*"; }
		# shellcheck source=/dev/null
		. "$tmp/install"
		build
		echo "build status $?"
		declare -F help >/dev/null && help >"$tmp/help"
	) >"$tmp/calls" 2>"$tmp/stderr"
}

has() { grep -qxF -- "$1" "$tmp/calls"; }
lacks() { ! grep -q -- "$1" "$tmp/calls"; }

# busybox image with a configuration
run_build yes base udev vfio-binder autodetect modconf block filesystems fsck
check "build() succeeds" has "build status 0"
# sbin or bin: Arch builds with --sbindir=/usr/bin (contrib/arch/PKGBUILD).
check "adds the binary by its installed path" grep -qx 'add_binary /.*/s\{0,1\}bin/vfio-binder' "$tmp/calls"
check "adds vfio-pci (its dependencies come from modules.dep)" has "add_module vfio-pci"
check "does not hard-code vfio helper modules" lacks "add_module vfio_\(virqfd\|iommu_type1\)"
check "adds the configuration when it exists" has "add_file ETC/vfio.conf"
check "adds the runtime hook in a busybox image" has "add_runscript"
check "no systemd unit in a busybox image" lacks "add_systemd_unit"
check "stderr is empty" test ! -s "$tmp/stderr"
check "help() says what it does" grep -q 'vfio-pci' "$tmp/help"
check "help() mentions the kill switch" grep -q 'vfio_binder=off' "$tmp/help"

# busybox image without a configuration (command-line parameters only)
run_build no base udev vfio-binder
check "no configuration: no add_file" lacks "add_file"
check "no configuration: binary still added" grep -q '^add_binary ' "$tmp/calls"

# systemd image
run_build yes base systemd autodetect vfio-binder sd-vconsole block filesystems
check "systemd image: adds vfio-binder.service" has "add_systemd_unit vfio-binder.service"
check "systemd image: enables it from sysinit.target" \
	grep -qx 'add_symlink /usr/lib/systemd/system/sysinit.target.wants/vfio-binder.service ../vfio-binder.service' "$tmp/calls"
check "systemd image: no runtime hook (systemd would never run it)" lacks "add_runscript"
check "systemd image: vfio-pci added" has "add_module vfio-pci"

# The unit the systemd image gets: early, ordered before coldplug and modules-load.
unit=$BUILDDIR/systemd/vfio-binder.service
check "unit: DefaultDependencies=no" grep -qx 'DefaultDependencies=no' "$unit"
check "unit: before systemd-udev-trigger and systemd-modules-load" \
	grep -qE '^Before=.*systemd-udev-trigger\.service.*systemd-modules-load\.service' "$unit"
check "unit: Type=oneshot, RemainAfterExit=yes" \
	bash -c 'grep -qx Type=oneshot "$1" && grep -qx RemainAfterExit=yes "$1"' _ "$unit"
check "unit: runs the installed binary's bind" grep -qx "ExecStart=$(sed -n 's/^add_binary //p' "$tmp/calls") bind" "$unit"
check "unit: conditioned on the configuration" grep -qx "ConditionPathExists=|$conf" "$unit"

# The runtime hook under dash (what busybox ash accepts): run_earlyhook calls
# "bind", and a failing binder is reported with err and does not fail the hook.
binary=$(sed -n 's/^add_binary //p' "$tmp/calls")
cat >"$tmp/fake-binder" <<FAKE
#!/bin/sh
echo "binder \$*" >>"$tmp/ran"
exit \${FAKE_STATUS:-0}
FAKE
chmod +x "$tmp/fake-binder"
sed "s|$binary|$tmp/fake-binder|g" "$hook_file" >"$tmp/hook"
hook_run() {
	rm -f "$tmp/ran"
	FAKE_STATUS=$1 dash -c '
		err() { echo "ERR: $*"; }
		. "$1"
		run_earlyhook
		echo "hook status $?"' _ "$tmp/hook" >"$tmp/hook.out" 2>&1
}
check "runtime hook defines run_earlyhook only (runs before MODULES and udev)" \
	bash -c '. "$1"; declare -F run_earlyhook >/dev/null && ! declare -F run_hook >/dev/null && ! declare -F run_latehook >/dev/null' _ "$tmp/hook"
hook_run 0
check "run_earlyhook runs 'vfio-binder bind'" grep -qx 'binder bind' "$tmp/ran"
check "success: nothing reported" bash -c '! grep -q ERR "$1" && grep -qx "hook status 0" "$1"' _ "$tmp/hook.out"
hook_run 1
check "failure (1): reported with err" grep -q '^ERR: vfio-binder: .*status 1' "$tmp/hook.out"
check "failure (1): the hook still succeeds, the boot goes on" grep -qx 'hook status 0' "$tmp/hook.out"
hook_run 2
check "failure (2): the hook still succeeds" grep -qx 'hook status 0' "$tmp/hook.out"
finish
