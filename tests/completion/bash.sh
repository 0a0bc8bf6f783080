#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The bash completion (shell-completion/bash/vfio-binder) through
# bash-completion's own helpers: each case sets COMP_LINE, COMP_POINT,
# COMP_WORDS (split at spaces and at COMP_WORDBREAKS' '=' and ':', as
# readline splits them) and COMP_CWORD, calls the completion function and
# compares COMPREPLY with the expected candidates. Addresses and groups come
# from a fake sysfs tree (tests/mkfakesys, turing-4fn-amd-host).
set -u
# shellcheck source-path=SCRIPTDIR source=../hooks/lib.sh
. "$(dirname "$0")/../hooks/lib.sh"

completion=$TOPDIR/shell-completion/bash/vfio-binder
bc=$(pkg-config --variable=compatdir bash-completion 2>/dev/null)
bc=${bc%/*}/bash_completion
[[ -f $bc ]] || bc=/usr/share/bash-completion/bash_completion
[[ -f $bc ]] || skip "bash-completion not installed (Debian package bash-completion)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tree=$tmp/sys
"$BUILDDIR/tests/mkfakesys" "$TOPDIR/tests/topologies/turing-4fn-amd-host.txt" "$tree" ||
	{ fail "cannot build the fake sysfs tree"; finish; exit; }
mkdir -p "$tmp/cwd/subdir"
touch "$tmp/cwd/vfio.conf" "$tmp/cwd/cmdline.txt"

# shellcheck source=/dev/null
. "$bc"
# shellcheck source=/dev/null
. "$completion"
check "the completion is registered for vfio-binder" \
	test "$(complete -p vfio-binder 2>/dev/null)" = "complete -F _vfio_binder vfio-binder"

# complete_line LINE: the candidates for the end of LINE, sorted, one per line.
complete_line() {
	local line=$1 rest=$1
	COMP_WORDS=()
	while [[ -n $rest ]]; do
		if [[ $rest =~ ^(\ +) ]]; then
			rest=${rest:${#BASH_REMATCH[1]}}
			continue
		fi
		[[ $rest =~ ^([=:]+|[^\ =:]+) ]]
		COMP_WORDS+=("${BASH_REMATCH[1]}")
		rest=${rest:${#BASH_REMATCH[1]}}
	done
	[[ $line == *' ' ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMPREPLY=()
	_vfio_binder vfio-binder "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort
}
# expect LINE CANDIDATES...: the completion offers exactly these.
expect() {
	local line=$1 got want
	shift
	got=$(complete_line "$line")
	want=$(printf '%s\n' "$@" | LC_ALL=C sort)
	if [[ $got != "$want" ]]; then
		printf 'line:     %s\nexpected: %s\ngot:      %s\n' "$line" "$(tr '\n' ' ' <<<"$want")" "$(tr '\n' ' ' <<<"$got")" >&2
		return 1
	fi
}

start=$SECONDS
cd "$tmp/cwd" || exit 1
check "commands" expect "vfio-binder " plan bind list status monitor reserve release doctor
check "commands by prefix" expect "vfio-binder re" release reserve
check "commands after options and their values" \
	expect "vfio-binder --config /etc/vfio.conf -v --log stderr st" status
check "reserve: the slot's functions from --sysfs DIR" \
	expect "vfio-binder --sysfs $tree reserve 0000:2d:" 00.0 00.1 00.2 00.3
check "release: addresses by prefix from --sysfs=DIR (what follows the last ':' of the word)" \
	expect "vfio-binder --sysfs=$tree release 0000:2" 2d:00.0 2d:00.1 2d:00.2 2d:00.3 2e:00.0 2e:00.1
check "release: a second address after the first" \
	expect "vfio-binder --sysfs $tree release 0000:2d:00.0 0000:2e:" 00.0 00.1
functions=("$tree"/bus/pci/devices/*)
check "--device: every function of the tree" \
	expect "vfio-binder --sysfs $tree list --device " "${functions[@]##*/}"
check "--device: by prefix" expect "vfio-binder list --sysfs $tree --device 0000:05" 05:00.0
check "--group: the tree's IOMMU groups" expect "vfio-binder --sysfs $tree list --group 1" 1 14 15 17 18 19
check "--group=N form" expect "vfio-binder --sysfs $tree list --group=2" 2 20
functions=(/sys/bus/pci/devices/*)
check "without --sysfs: the machine's /sys" expect "vfio-binder reserve " "${functions[@]##*/}"
check "--log=" expect "vfio-binder bind --log=" auto kmsg stderr
check "--log VALUE" expect "vfio-binder bind --log s" stderr
check "--source" expect "vfio-binder monitor --source " kernel udev
check "options by prefix" expect "vfio-binder --no-" --no-cmdline --no-load
check "--log is offered as --log=" expect "vfio-binder --lo" --log=
check "-c FILE: files and directories" expect "vfio-binder -c " cmdline.txt subdir vfio.conf
check "--cmdline FILE" expect "vfio-binder --cmdline cm" cmdline.txt
check "--sysfs DIR: directories only" expect "vfio-binder --sysfs " subdir
check "--run DIR: directories only" expect "vfio-binder --run=" subdir
check "plan takes no address" expect "vfio-binder --sysfs $tree plan "
check "nothing after --help" expect "vfio-binder --help "
echo "bash completion cases took $((SECONDS - start)) s"
finish
