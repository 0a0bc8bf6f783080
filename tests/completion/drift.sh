#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every long option "vfio-binder --help" prints is offered by each shell's
# completion for "vfio-binder --": when an option is added to the binary,
# this fails until the completions know it. bash through its completion
# function, zsh through zsh-capture.zsh, fish through "complete -C".
# shellcheck disable=SC2016 # fish expands $argv
set -u
# shellcheck source-path=SCRIPTDIR source=../hooks/lib.sh
. "$(dirname "$0")/../hooks/lib.sh"

binder=$BUILDDIR/src/vfio-binder
[[ -x $binder ]] || { fail "$binder is missing: run make"; finish; exit; }
bc=/usr/share/bash-completion/bash_completion
[[ -f $bc ]] || skip "bash-completion not installed (Debian package bash-completion)"
command -v zsh >/dev/null || skip "zsh not installed (Debian package zsh)"
command -v fish >/dev/null || skip "fish not installed (Debian package fish)"

# The long options of the help text's option lines ("  -c, --config FILE ...").
mapfile -t options < <("$binder" --help | grep -E '^ +(-[a-zA-Z], )?--[a-z]' |
	grep -oE -- '--[a-z][a-z-]*' | LC_ALL=C sort -u)
check "--help lists long options (found ${#options[@]})" test "${#options[@]}" -ge 10

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS

# bash
(
	# shellcheck source=/dev/null
	. "$bc"
	# shellcheck source=/dev/null
	. "$TOPDIR/shell-completion/bash/vfio-binder"
	COMP_WORDS=(vfio-binder --) COMP_CWORD=1 COMP_LINE="vfio-binder --" COMP_POINT=14
	_vfio_binder vfio-binder -- vfio-binder
	printf '%s\n' "${COMPREPLY[@]%=}"
) >"$tmp/bash"
# zsh
mkdir "$tmp/fpath"
cp "$TOPDIR/shell-completion/zsh/_vfio-binder" "$tmp/fpath/"
zsh -f "$TOPDIR/tests/completion/zsh-capture.zsh" "$tmp/fpath" "vfio-binder --" | sed 1d >"$tmp/zsh"
# fish
fish -N -c 'source $argv[1]; complete -C "vfio-binder --"' "$TOPDIR/shell-completion/fish/vfio-binder.fish" |
	cut -f1 >"$tmp/fish"

for shell in bash zsh fish; do
	missing=()
	for o in "${options[@]}"; do
		grep -qxF -- "$o" "$tmp/$shell" || missing+=("$o")
	done
	check "$shell completion offers all ${#options[@]} long options of --help${missing[*]:+ (missing: ${missing[*]})}" \
		test ${#missing[@]} = 0
done
echo "drift check took $((SECONDS - start)) s"
finish
