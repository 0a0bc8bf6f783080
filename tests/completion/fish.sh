#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The fish completion (shell-completion/fish/vfio-binder.fish): fish
# --no-execute, then fish's own "complete -C LINE" for several command
# lines, against a fake sysfs tree (tests/mkfakesys, turing-4fn-amd-host).
# shellcheck disable=SC2016 # fish expands $argv
set -u
# shellcheck source-path=SCRIPTDIR source=../hooks/lib.sh
. "$(dirname "$0")/../hooks/lib.sh"

completion=$TOPDIR/shell-completion/fish/vfio-binder.fish
command -v fish >/dev/null || skip "fish not installed (Debian package fish)"
check "fish --no-execute vfio-binder.fish" fish --no-execute "$completion"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tree=$tmp/sys
"$BUILDDIR/tests/mkfakesys" "$TOPDIR/tests/topologies/turing-4fn-amd-host.txt" "$tree" ||
	{ fail "cannot build the fake sysfs tree"; finish; exit; }
mkdir -p "$tmp/cwd/subdir"
touch "$tmp/cwd/vfio.conf"

# expect LINE CANDIDATES: fish offers exactly these (sorted, one line).
expect() {
	local have
	have=$(cd "$tmp/cwd" && fish -N -c 'source $argv[1]; complete -C $argv[2]' "$completion" "$1" |
		cut -f1 | LC_ALL=C sort -u | paste -sd' ')
	[[ $have == "$2" ]] || { echo "    line '$1': got '$have'" >&2; return 1; }
}
start=$SECONDS
check "commands" expect "vfio-binder " "bind doctor list monitor plan release reserve status"
check "commands by prefix" expect "vfio-binder re" "release reserve"
check "reserve: the slot's functions from --sysfs DIR" \
	expect "vfio-binder --sysfs $tree reserve 0000:2d:" "0000:2d:00.0 0000:2d:00.1 0000:2d:00.2 0000:2d:00.3"
check "release: from --sysfs=DIR, after a first address" \
	expect "vfio-binder --sysfs=$tree release 0000:2d:00.0 0000:2e:" "0000:2e:00.0 0000:2e:00.1"
check "--device" expect "vfio-binder --sysfs $tree list --device 0000:05" "0000:05:00.0"
check "--group" expect "vfio-binder --sysfs $tree list --group 1" "1 14 15 17 18 19"
check "--log=" expect "vfio-binder bind --log=" "--log=auto --log=kmsg --log=stderr"
check "--log VALUE" expect "vfio-binder bind --log " "auto kmsg stderr"
check "--source" expect "vfio-binder monitor --source " "kernel udev"
check "options by prefix" expect "vfio-binder --no-" "--no-cmdline --no-load"
check "--sysfs DIR: directories only" expect "vfio-binder --sysfs " "subdir/"
check "-c FILE: files" expect "vfio-binder -c " "subdir/ vfio.conf"
check "plan takes no address" expect "vfio-binder --sysfs $tree plan 0000" ""
echo "fish completion cases took $((SECONDS - start)) s"
finish
