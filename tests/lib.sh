# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# Shared by the shell tests: where things are, fake trees, and checks.

: "${TOPDIR:?run through make check}" "${BUILDDIR:?run through make check}"
# shellcheck disable=SC2034 # used by the tests that source this file
BINDER="$BUILDDIR/src/vfio-binder"
MKFAKESYS="$BUILDDIR/tests/mkfakesys"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vfio-binder-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
failures=0
passes=0

# A fresh tree for each test: bind writes into it.
fake_tree() { # TOPOLOGY-NAME [EXTRA-LINES]
	_dir=$(mktemp -d "$TMP/tree.XXXXXX")
	cat "$TOPDIR/tests/topologies/$1.txt" > "$_dir.txt"
	[ -z "${2:-}" ] || printf '%s\n' "$2" >> "$_dir.txt"
	# This runs in $(...): exiting would only leave the subshell, and a test
	# given no tree would compare nothing with nothing. Stop the whole test.
	"$MKFAKESYS" "$_dir.txt" "$_dir" || { echo "cannot build a tree from $1" >&2; kill -TERM $$; exit 99; }
	echo "$_dir"
}

# Every path, link and content of a tree, to compare before and after.
snapshot() {
	(cd "$1" && find . -printf '%p %y %l\n' | sort && find . -type f -print0 | sort -z | xargs -0 md5sum)
}

pass() { passes=$((passes + 1)); }
fail() { failures=$((failures + 1)); echo "FAIL: $*"; }

check() { # DESCRIPTION COMMAND...: the command must succeed
	_d=$1; shift
	if "$@"; then pass; else fail "$_d"; fi
}

finish() {
	echo "$passes passed, $failures failed"
	[ "$failures" -eq 0 ]
}
