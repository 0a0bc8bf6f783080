// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * /etc/vfio.conf: the whole file is fuzzer bytes, handed to config_parse()
 * as config_load() would after reading it. An accepted file must give a
 * policy that selection can use; a refused one must leave the caller's
 * policy exactly as it was ("on error p is left as it was").
 */
#include <string.h>

#include "conf.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy p;
	int r;

	fuzz_null();
	if (size > CONFIG_SIZE_MAX)
		return -1;
	policy_init(&p);
	/* A marker the parser must not touch when it refuses the file. */
	snprintf(p.driver, sizeof(p.driver), "marker");
	r = config_parse(&p, "fuzz.conf", (const char *)data, size);
	if (r < 0) {
		if (strcmp(p.driver, "marker") || p.config_file || p.devices.n || p.ids.n || p.options)
			abort();
	} else {
		if (!driver_name_valid(p.driver) || !p.config_file)
			abort();
		fuzz_plan(&p);
	}
	policy_free(&p);
	return 0;
}
