#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The zsh completion (shell-completion/zsh/_vfio-binder): zsh -n, then a
# real interactive zsh under zsh/zpty with compinit (zsh-capture.zsh) for
# several command lines, against a fake sysfs tree (tests/mkfakesys,
# turing-4fn-amd-host).
set -u
# shellcheck source-path=SCRIPTDIR source=../hooks/lib.sh
. "$(dirname "$0")/../hooks/lib.sh"

completion=$TOPDIR/shell-completion/zsh/_vfio-binder
command -v zsh >/dev/null || skip "zsh not installed (Debian package zsh)"
check "zsh -n _vfio-binder" zsh -n "$completion"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tree=$tmp/sys
"$BUILDDIR/tests/mkfakesys" "$TOPDIR/tests/topologies/turing-4fn-amd-host.txt" "$tree" ||
	{ fail "cannot build the fake sysfs tree"; finish; exit; }
mkdir -p "$tmp/fpath" "$tmp/cwd/subdir"
cp "$completion" "$tmp/fpath/"
touch "$tmp/cwd/vfio.conf"

# The cases: a line, then the candidates expected for it, sorted, one line.
cases=(
	"vfio-binder "
	"bind doctor list monitor plan release reserve status"
	"vfio-binder re"
	"release reserve"
	"vfio-binder --sysfs $tree reserve 0000:2d:"
	"0000:2d:00.0 0000:2d:00.1 0000:2d:00.2 0000:2d:00.3"
	"vfio-binder --sysfs=$tree release 0000:2d:00.0 0000:2e:"
	"0000:2e:00.0 0000:2e:00.1"
	"vfio-binder --sysfs $tree list --device 0000:05"
	"0000:05:00.0"
	"vfio-binder --sysfs $tree list --group 1"
	"1 14 15 17 18 19"
	"vfio-binder bind --log="
	"auto kmsg stderr"
	"vfio-binder monitor --source "
	"kernel udev"
	"vfio-binder --no-"
	"--no-cmdline --no-load"
)
lines=()
for ((i = 0; i < ${#cases[@]}; i += 2)); do lines+=("${cases[i]}"); done
start=$SECONDS
(cd "$tmp/cwd" && zsh -f "$TOPDIR/tests/completion/zsh-capture.zsh" "$tmp/fpath" "${lines[@]}") >"$tmp/out" 2>"$tmp/err"
check "the zpty session answered every line" test ! -s "$tmp/err"
# got LINE: the candidates captured for LINE, sorted, on one line.
got() {
	awk -v l="== $1" '$0 == l { on = 1; next } /^== / { on = 0 } on' "$tmp/out" | LC_ALL=C sort -u | paste -sd' '
}
for ((i = 0; i < ${#cases[@]}; i += 2)); do
	line=${cases[i]} want=${cases[i + 1]}
	have=$(got "$line")
	check "zsh: '${line/$tmp/TMP}' offers: $want" test "$have" = "$want"
	[[ $have == "$want" ]] || echo "    got: $have" >&2
done
echo "zsh completion cases took $((SECONDS - start)) s"
finish
