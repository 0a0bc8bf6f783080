// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel command line: fuzzer bytes up to the first NUL, as
 * cmdline_load() hands /proc/cmdline over. It is applied on top of a
 * configured policy, as at boot; whatever it does, the driver name stays a
 * valid module name and the kill switch means policy off.
 */
#include <string.h>

#include "cmdline.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct policy_entry dev = { .addr = { 0, 0x2d, 0x00, 0 }, .origin = { "fuzz.conf", 3 } };
	struct policy p;
	char *text;
	int r;

	fuzz_null();
	if (size > CMDLINE_SIZE_MAX + 16)
		return -1;
	text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';

	policy_init(&p);
	if (policy_add_entry(&p.devices, &dev) < 0)
		abort();
	r = cmdline_apply(&p, text);
	if (r < 0 || !driver_name_valid(p.driver) || (p.kill_switch && p.mode != POLICY_OFF))
		abort();
	fuzz_plan(&p);
	policy_free(&p);
	free(text);
	return 0;
}
