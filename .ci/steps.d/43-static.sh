#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cppcheck and clang-tidy over src/: any finding fails the step. What is left
# out is left out here, with the reason; a suppression of one finding sits in
# the code, next to it, with its reason. Needs .ci/run's config.h. Measured: 58 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f config.h ] || { echo "43-static: run configure first (config.h)" >&2; exit 2; }
read -r -a pkg_cflags <<< "$(pkg-config --cflags libkmod libudev inih)"
defs=(-include config.h -Isrc "-DSYSCONFDIR=\"/etc\"")

# cppcheck does not read the system headers (missingIncludeSystem), so it
# would take the openat2 path in sysfs.c for dead code: SYS_openat2 is given.
# Errors, warnings, performance and portability; not "style" (a variable's
# scope and the like), which is taste, not a defect, and would fail CI on it.
cppcheck --quiet --error-exitcode=1 --inline-suppr --std=c11 \
	--enable=warning,performance,portability --suppress=missingIncludeSystem \
	--include=config.h -Isrc "-DSYSCONFDIR=\"/etc\"" -DSYS_openat2=437 src/
echo "cppcheck: src/ clean"

# Left out, for the whole of src/:
#  - bugprone-easily-swappable-parameters: a style opinion about signatures.
#  - clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling: wants
#    the Annex K *_s functions, which glibc does not have; snprintf and memcpy
#    with explicit sizes are the bounded calls.
#  - clang-analyzer-unix.Malloc: the analyzer does not model
#    __attribute__((cleanup)) (_cleanup_free_), so every early return past one
#    is a "leak"; leaks are checked for real by LeakSanitizer, valgrind and the
#    fuzzers (steps 40 to 42).
#  - bugprone-sizeof-expression: clang-tidy 14 flags calloc(n, sizeof(*p)) for
#    an array of pointers (sizeof(struct x *)), the idiom itself, and has no
#    option to tell it apart (WarnOnSizeOfPointerToAggregate came in 15).
checks='-*,clang-analyzer-*,bugprone-*,-bugprone-easily-swappable-parameters'
checks+=',-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling'
checks+=',-clang-analyzer-unix.Malloc,-bugprone-sizeof-expression'
status=0
for f in src/*.c; do
	clang-tidy --quiet --checks="$checks" --warnings-as-errors='*' "$f" -- \
		"${defs[@]}" "${pkg_cflags[@]}" 2>/dev/null || status=1
done
[ "$status" -eq 0 ] && echo "clang-tidy: src/ clean"
exit "$status"
