#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The whole test suite (make check: unit tests, the binary's own tests, the
# bad-input catalogue, the write-set recording) on a clang build with
# AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer. Every
# report fails the step: UBSan stops at the first, and every process writes
# its reports into one directory that must stay empty. Measured: 142 s.
#
# The build happens in a copy of the tree, because .ci/run configured the
# checkout in place and automake refuses a second build of a configured
# source tree.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/vfio-binder-asan.XXXXXX")
# Kept when the step fails, to look at the build and the logs.
trap '[ "${status:-1}" -ne 0 ] && echo "kept: $work" || rm -rf "$work"' EXIT
# The tests run the binary as "nobody" too, and it must write its reports.
chmod 755 "$work"
mkdir -m 1777 "$work/reports"

if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	# The sources git knows (tracked or new, not ignored), not the build products.
	git -C "$top" ls-files -z -co --exclude-standard -- ':!tests/fuzz/work' |
		tar -C "$top" --null --ignore-failed-read -T - -cf - | tar -C "$work" -xf -
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

# One process per unit test, not a fork per case, so LeakSanitizer sees every
# case's allocations when the test program exits.
export CK_FORK=no
san_env() { # LOG-PATH-OPTION
	export ASAN_OPTIONS="detect_leaks=1:verify_asan_link_order=0$1"
	export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${1/%asan/ubsan}"
}
# Tests that preload umockdev: with log_path set, the sanitizer runtime opens
# its log through umockdev's open() before that is ready, and crashes. They
# run without it, and their logs are searched instead. (verify_asan_link_order=0
# because umockdev's library comes before the ASan runtime.)
read -r -a all_tests <<< "$(make -s -f Makefile -f - print-tests <<< $'print-tests:\n\t@echo $(TESTS)')"
preloaded=() plain=()
for t in "${all_tests[@]}"; do
	if [ -f "$t.c" ] && grep -q umockdev "$t.c"; then preloaded+=("$t"); else plain+=("$t"); fi
done
status=0
san_env ":log_path=$work/reports/asan"
make -j"$(nproc)" check TESTS="${plain[*]}" || { status=1; cat test-suite.log; }
if [ "${#preloaded[@]}" -gt 0 ]; then
	san_env ""
	make check TESTS="${preloaded[*]}" || { status=1; cat test-suite.log; }
	for t in "${preloaded[@]}"; do
		if grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$t.log"; then status=1; fi
	done
fi
reports=$(find "$work/reports" -type f)
if [ -n "$reports" ]; then
	echo "sanitizer reports:"
	for r in $reports; do echo "=== $r"; cat "$r"; done
	status=1
fi
[ "$status" -eq 0 ] && echo "sanitizers: make check clean under ASan, LSan and UBSan"
exit "$status"
