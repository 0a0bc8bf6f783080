#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the libFuzzer harnesses with clang (fuzzer, address and undefined
# sanitizers, leak detection on) and runs each for FUZZ_SECONDS, starting
# from the committed seeds in tests/fuzz/corpus/<harness>/. Any crash, leak,
# timeout or sanitizer report fails the run; the input that caused it is
# left in the work directory, and the summary names the command that
# reproduces it.
#
#   TOPDIR=SRC BUILDDIR=BUILD tests/fuzz/run.sh [HARNESS...]    ("make fuzz" sets both)
#   FUZZ_SECONDS=N   per harness (default 20)
#   FUZZ_WORK=DIR    binaries, grown corpora, crashes, logs (default BUILDDIR/tests/fuzz/work)
#   FUZZ_CC=clang    the compiler (libFuzzer ships with clang: Debian's libclang-rt-14-dev)
#   FUZZ_BUILD_ONLY=1 build, do not run
set -euo pipefail

: "${TOPDIR:?set TOPDIR to the source tree}" "${BUILDDIR:?set BUILDDIR to the configured build tree}"
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
FUZZ_WORK=${FUZZ_WORK:-$BUILDDIR/tests/fuzz/work}
FUZZ_CC=${FUZZ_CC:-clang}
ALL="fuzz-conf fuzz-cmdline fuzz-pciaddr fuzz-sysfs fuzz-sysfs-noopenat2"
harnesses=${*:-$ALL}

[ -f "$BUILDDIR/config.h" ] || { echo "run.sh: no $BUILDDIR/config.h: run configure first" >&2; exit 2; }
command -v "$FUZZ_CC" >/dev/null || { echo "run.sh: $FUZZ_CC not found: apt-get install clang libclang-rt-14-dev" >&2; exit 2; }

# The binder's code without main.c and modload.c: the harnesses stand in for them
# (variant.c's libkmod is linked, though no harness sets driver = auto).
SOURCES="log pciaddr policy conf cmdline sysfs pci select output apply variant sriov access record runtime"

read -r -a inih_cflags <<< "$(pkg-config --cflags inih libkmod)"
read -r -a inih_libs <<< "$(pkg-config --libs inih libkmod)"
cflags=(-g -O1 -fno-omit-frame-pointer "-fsanitize=address,undefined" -fno-sanitize-recover=all -include "$BUILDDIR/config.h" -I"$TOPDIR/src" -I"$TOPDIR/tests/fuzz"
	-DSYSCONFDIR='"/etc"' -Wall -Wextra -Wno-unused-parameter "${inih_cflags[@]}")

mkdir -p "$FUZZ_WORK/bin" "$FUZZ_WORK/obj"
build() {
	local objs=()
	for s in $SOURCES; do
		"$FUZZ_CC" "${cflags[@]}" -fsanitize=fuzzer-no-link -c "$TOPDIR/src/$s.c" -o "$FUZZ_WORK/obj/$s.o"
		objs+=("$FUZZ_WORK/obj/$s.o")
	done
	for h in $harnesses; do
		local src=$h extra=()
		# The same harness with every openat2 failing ENOSYS: sysfs.c's fallback path walk.
		case $h in *-noopenat2) src=${h%-noopenat2} extra=(-DFUZZ_NO_OPENAT2) ;; esac
		"$FUZZ_CC" "${cflags[@]}" "${extra[@]}" -fsanitize=fuzzer "$TOPDIR/tests/fuzz/$src.c" "${objs[@]}" \
			"${inih_libs[@]}" -o "$FUZZ_WORK/bin/$h"
	done
}
# Always from scratch: ten small files take seconds, and headers change too.
build
[ -z "${FUZZ_BUILD_ONLY:-}" ] || exit 0

# Leaks fail the run (libFuzzer checks after each input that allocated more than it freed).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
# The sysfs harnesses build their trees here (tmpfs when there is one), removed at the end.
FUZZ_TMPDIR=$(mktemp -d /dev/shm/vfio-binder-fuzz-run.XXXXXX 2>/dev/null || mktemp -d)
export FUZZ_TMPDIR
trap 'rm -rf "$FUZZ_TMPDIR"' EXIT
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

failed=0
summary="$FUZZ_WORK/summary.md"
{
	echo "| harness | seconds | executions | corpus (seeds + found) | result |"
	echo "| --- | ---: | ---: | ---: | --- |"
} > "$summary"
for h in $harnesses; do
	seeds="$TOPDIR/tests/fuzz/corpus/$h"
	grown="$FUZZ_WORK/corpus/$h"
	# Findings of an earlier run are not this run's.
	rm -rf "$FUZZ_WORK/crash/$h"
	mkdir -p "$grown" "$FUZZ_WORK/crash/$h"
	log="$FUZZ_WORK/$h.log"
	echo "=== $h: $FUZZ_SECONDS s"
	set +e
	# New inputs go to the first directory, so the committed seeds stay as they are.
	"$FUZZ_WORK/bin/$h" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-detect_leaks=1 -print_final_stats=1 -artifact_prefix="$FUZZ_WORK/crash/$h/" \
		"$grown" "$seeds" > "$log" 2>&1
	rc=$?
	set -e
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	units=$(find "$grown" "$seeds" -type f | wc -l)
	findings=$(find "$FUZZ_WORK/crash/$h" -type f | wc -l)
	if [ "$rc" -ne 0 ] || [ "$findings" -ne 0 ] || grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' "$log"; then
		failed=$((failed + 1))
		result="FAILED (exit $rc; reproduce: $FUZZ_WORK/bin/$h $FUZZ_WORK/crash/$h/*)"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 20 || true
	else
		result="no finding"
	fi
	echo "| $h | $FUZZ_SECONDS | ${execs:-?} | $units | $result |" >> "$summary"
	echo "$h: ${execs:-?} executions, $result"
done
cat "$summary"
[ "$failed" -eq 0 ]
