# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# Fake kernel modules for the tests that need a kernel's module directory
# (doctor, driver = auto): compiled here, read by depmod and libkmod like
# real ones. Needs $TMP and $CC (cc by default).

: "${CC:=cc}"

# A module file depmod and libkmod read like a real one: .modinfo strings,
# an exported symbol in __ksymtab_strings, an undefined one for modules.dep.
mkmod() { # KDIR RELPATH NAME signed|unsigned EXPORT|- IMPORT|- ALIAS...
	_kdir=$1 _rel=$2 _name=$3 _sig=$4 _exp=$5 _imp=$6
	shift 6
	mkdir -p "$(dirname "$_kdir/$_rel")" "$TMP/ko"
	# The same module for every kernel: compiled once.
	if [ -e "$TMP/ko/$_name.o" ]; then
		cp "$TMP/ko/$_name.o" "$_kdir/$_rel"
	else
	{
		printf 'static const char mi_name[] __attribute__((section(".modinfo"), used, aligned(1))) = "name=%s";\n' "$_name"
		_n=0
		for _a; do
			_n=$((_n + 1))
			printf 'static const char mi_a%d[] __attribute__((section(".modinfo"), used, aligned(1))) = "alias=%s";\n' "$_n" "$_a"
		done
		if [ "$_exp" != - ]; then
			printf 'static const char ks[] __attribute__((section("__ksymtab_strings"), used, aligned(1))) = "%s";\n' "$_exp"
			printf 'void %s(void);\nvoid %s(void) {}\n' "$_exp" "$_exp"
		fi
		if [ "$_imp" != - ]; then
			printf 'extern void %s(void);\nvoid use(void);\nvoid use(void) { %s(); }\n' "$_imp" "$_imp"
		fi
	} > "$TMP/mod.c"
	"$CC" -c -o "$TMP/ko/$_name.o" "$TMP/mod.c" || { echo "cannot compile a fake module" >&2; exit 99; }
	cp "$TMP/ko/$_name.o" "$_kdir/$_rel"
	fi
	if [ "$_sig" = signed ]; then
		# struct module_signature (X.509, sha256, signer and key id in the clear) and the magic
		printf 'Test signing key\001\002\003\004\252\252\252\252\252\252\252\252\252\252\252\252\252\252\252\252' >> "$_kdir/$_rel"
		printf '\000\004\001\020\004\000\000\000\000\000\000\020~Module signature appended~\n' >> "$_kdir/$_rel"
	fi
}

