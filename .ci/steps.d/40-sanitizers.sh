#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The whole test suite (make check: unit tests, the binary's own tests, the
# bad-input catalogue, the write-set recording) on a clang build with
# AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer. Every
# report fails the step: UBSan stops at the first, and every process writes
# its reports into one directory that must stay empty. About 4 minutes.
#
# The build happens in a copy of the tree, because .ci/run configured the
# checkout in place and automake refuses a second build of a configured
# source tree.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/vfio-binder-asan.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The tests run the binary as "nobody" too, and it must write its reports.
chmod 755 "$work"
mkdir -m 1777 "$work/reports"

if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	# The sources git knows (tracked or new, not ignored), not the build products.
	git -C "$top" ls-files -z -co --exclude-standard | tar -C "$top" --null -T - -cf - | tar -C "$work" -xf -
else
	cp -a "$top/." "$work/"
	[ ! -f "$work/Makefile" ] || make -C "$work" distclean >/dev/null
fi
cd "$work"

san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
autoreconf -fi >/dev/null 2>&1
# Not --enable-werror: the warning set is gcc's; clang's -Wconversion also means
# -Wsign-conversion. The gcc build of .ci/run holds the code to -Werror.
./configure -q CC=clang CFLAGS="-O1 -g $san" LDFLAGS="$san"
make -j"$(nproc)" >/dev/null

# verify_asan_link_order=0: the monitor's tests preload umockdev ahead of the ASan runtime.
export ASAN_OPTIONS="detect_leaks=1:log_path=$work/reports/asan:verify_asan_link_order=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$work/reports/ubsan"
# One process per unit test, not a fork per case, so LeakSanitizer sees every
# case's allocations when the test program exits.
export CK_FORK=no
status=0
make -j"$(nproc)" check || status=1
[ "$status" -eq 0 ] || cat test-suite.log
reports=$(find "$work/reports" -type f)
if [ -n "$reports" ]; then
	echo "sanitizer reports:"
	for r in $reports; do echo "=== $r"; cat "$r"; done
	status=1
fi
[ "$status" -eq 0 ] && echo "sanitizers: make check clean under ASan, LSan and UBSan"
exit "$status"
