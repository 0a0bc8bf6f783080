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

# The unit the install hook copies into a systemd image, as the file names it.
unitpath=$(sed -n 's/^ *local unit=//p' "$install_file")
[[ -n $unitpath ]] || fail "the install hook names no unit file"

# Runs the build of every hook in the order mkinitcpio would, with stand-ins
# for its functions; the calls land in $tmp/calls. As in mkinitcpio 34 and
# later, add_systemd_unit does not exist until the systemd hook's build()
# has run: a hook placed before systemd that called it would fail.
# $1: yes or no, whether the configuration exists; the rest: the HOOKS array.
# ADD and SKIP (space-separated) stand for mkinitcpio -A and -S; UNIT for
# the unit file the install hook finds.
run_build() {
	local have_conf=$1
	shift
	# Point the file's configuration path at a private one we control.
	mkdir -p "$tmp/etc"
	rm -f "$tmp/etc/vfio.conf"
	[[ $have_conf == yes ]] && echo '[binder]' >"$tmp/etc/vfio.conf"
	sed -e "s|$conf|$tmp/etc/vfio.conf|g" -e "s|local unit=$unitpath\$|local unit=${UNIT:-$BUILDDIR/systemd/vfio-binder.service}|" \
		-e "s|^\( *mapfile -t mods < <(\)[^ ]*/vfio-binder |\1${PLANNER:-/nonexistent/vfio-binder} |" \
		"$install_file" >"$tmp/install"
	(
		# shellcheck disable=SC2034 # read by the sourced build()
		HOOKS=("$@")
		_hooks=()
		read -r -a add <<<"${ADD:-}"
		read -r -a skip <<<"${SKIP:-}"
		for h in "${HOOKS[@]}" "${add[@]}"; do
			[[ " ${skip[*]} " == *" $h "* ]] || _hooks+=("$h")
		done
		add_binary() { echo "add_binary $*"; }
		add_module() { echo "add_module $*"; }
		add_file() { echo "add_file ${*//$tmp\/etc/ETC}"; }
		add_runscript() { echo "add_runscript"; }
		add_symlink() { echo "add_symlink $*"; }
		add_dir() { echo "add_dir $*"; }
		add_full_dir() { echo "add_full_dir $*"; }
		error() { echo "error: $*" >&2; }
		for h in "${_hooks[@]}"; do
			case $h in
			systemd) add_systemd_unit() { echo "add_systemd_unit $*"; } ;;
			vfio-binder)
				# shellcheck source=/dev/null
				. "$tmp/install"
				build
				echo "build status $?"
				declare -F help >/dev/null && help >"$tmp/help"
				;;
			esac
		done
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

# The modules come from the plan (preload, the driver, driver= and variants);
# without an answer from the binder, vfio-pci.
cat >"$tmp/planner" <<'PLANNER'
#!/bin/sh
[ "$*" = "plan --modules-list --log=stderr" ] || exit 2
printf 'vendor-reset\nvfio-pci\nmlx5_vfio_pci\n'
PLANNER
chmod +x "$tmp/planner"
PLANNER=$tmp/planner run_build yes base udev vfio-binder
check "adds every module the plan names" \
	bash -c 'grep -qx "add_module vendor-reset" "$1" && grep -qx "add_module vfio-pci" "$1" && grep -qx "add_module mlx5_vfio_pci" "$1"' _ "$tmp/calls"
printf '#!/bin/sh\nexit 2\n' >"$tmp/planner"
PLANNER=$tmp/planner run_build yes base udev vfio-binder
check "a binder that cannot plan: vfio-pci still" has "add_module vfio-pci"

# busybox image without a configuration (command-line parameters only)
run_build no base udev vfio-binder
check "no configuration: no add_file" lacks "add_file"
check "no configuration: binary still added" grep -q '^add_binary ' "$tmp/calls"

# systemd image, with the hook after systemd and before it: the same image.
for order in "base systemd autodetect vfio-binder sd-vconsole block filesystems" \
	"base vfio-binder systemd autodetect sd-vconsole block filesystems"; do
	read -r -a hooks <<<"$order"
	run_build yes "${hooks[@]}"
	label="systemd image (${order% autodetect*})"
	check "$label: build() succeeds" has "build status 0"
	check "$label: adds vfio-binder.service as a file" \
		has "add_file $BUILDDIR/systemd/vfio-binder.service /usr/lib/systemd/system/vfio-binder.service 0644"
	check "$label: enables it from sysinit.target" \
		grep -qx 'add_symlink /usr/lib/systemd/system/sysinit.target.wants/vfio-binder.service ../vfio-binder.service' "$tmp/calls"
	check "$label: needs nothing the systemd hook defines" lacks "add_systemd_unit"
	check "$label: no runtime hook (systemd would never run it)" lacks "add_runscript"
	check "$label: vfio-pci added" has "add_module vfio-pci"
	check "$label: stderr is empty" test ! -s "$tmp/stderr"
done

# The final hook list decides, not HOOKS: mkinitcpio -A systemd and -S systemd.
ADD=systemd run_build yes base udev vfio-binder
check "-A systemd: a systemd image" grep -q '^add_symlink .*sysinit.target.wants/vfio-binder.service' "$tmp/calls"
SKIP=systemd run_build yes base systemd vfio-binder
check "-S systemd: a busybox image" has "add_runscript"
check "-S systemd: no unit" lacks "vfio-binder.service"

# A systemd image without the unit installed: the build fails and says why.
UNIT=/nonexistent/vfio-binder.service run_build yes base systemd vfio-binder
check "unit missing: build() fails" has "build status 1"
check "unit missing: the error names the file" grep -q "^error: vfio-binder: .*vfio-binder.service is missing" "$tmp/stderr"

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
