#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by the package tests (deb.sh, arch.sh, rpm.sh): the pass/fail
# helpers of the hook tests, the release tarball, a work directory, and file
# list checks shared by the three formats.

# shellcheck source-path=SCRIPTDIR source=../hooks/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../hooks/lib.sh"

[[ -n ${TARBALL:-} && -f $TARBALL ]] || {
	echo "TARBALL=... (the make dist tarball) is not set or missing: run 'make check-packages'" >&2
	exit 2
}
# Everything comes from the tarball; make's TOPDIR and BUILDDIR would leak
# into the package builds (makepkg takes BUILDDIR for its own).
unset TOPDIR BUILDDIR

# vfio-binder-0.1.tar.xz -> 0.1
VERSION=${TARBALL##*/vfio-binder-}
VERSION=${VERSION%.tar.xz}
export VERSION

# A work directory of our own, removed at exit unless VFIO_BINDER_KEEP_WORK=1.
# Not under the build tree: nothing here writes into the checkout.
WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/vfio-packages.XXXXXX")
chmod 755 "$WORK"
if [[ ${VFIO_BINDER_KEEP_WORK:-0} == 1 ]]; then
	echo "# work directory kept: $WORK"
else
	trap 'rm -rf "$WORK"' EXIT
fi

# from_tarball PATH: a file of the release tarball, on stdout.
from_tarball() { tar -xJOf "$TARBALL" "vfio-binder-$VERSION/$1"; }

# need_root: the builds run as root (makepkg as nobody, from root).
need_root() {
	[[ $(id -u) == 0 ]] || skip "needs root"
}

# in_list LIST PATH: PATH (no leading /) is a line of LIST.
in_list() { grep -qxF -- "$2" "$1"; }

# expect_paths WHAT LIST PATH...: every PATH is in LIST.
expect_paths() {
	local what=$1 list=$2 p
	shift 2
	for p in "$@"; do
		check "$what has /$p" in_list "$list" "$p"
	done
}

# expect_lines WHAT LIST LINE...: every LINE is a line of LIST.
expect_lines() {
	local what=$1 list=$2 l
	shift 2
	for l in "$@"; do
		check "$what has '$l'" in_list "$list" "$l"
	done
}

# no_match LIST REGEX: no line of LIST matches REGEX (the ones that do are shown).
no_match() { ! grep -E -- "$2" "$1"; }

# expect_none WHAT LIST REGEX...: no line of LIST matches REGEX.
expect_none() {
	local what=$1 list=$2 re
	shift 2
	for re in "$@"; do
		check "$what has nothing matching $re" no_match "$list" "$re"
	done
}

# suite_passed LOG [noskip]: the automake test summary in LOG counts tests,
# no failure and no error, and with noskip no skip either.
suite_passed() {
	grep -q '^# TOTAL: [1-9]' "$1" && grep -qx '# FAIL:  0' "$1" && grep -qx '# ERROR: 0' "$1" &&
		{ [[ ${2:-} != noskip ]] || grep -qx '# SKIP:  0' "$1"; }
}

# as_user COMMAND...: COMMAND as nobody (makepkg refuses root), with HOME in
# the work directory.
as_user() {
	mkdir -p "$WORK/home"
	chown nobody:nogroup "$WORK/home"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env HOME="$WORK/home" "$@"
}

# timed WHAT LOG COMMAND...: COMMAND with its output in LOG; says how long it took.
timed() {
	local what=$1 log=$2 start=$SECONDS rc
	shift 2
	"$@" >"$log" 2>&1
	rc=$?
	echo "# $what: $((SECONDS - start)) s"
	return "$rc"
}
