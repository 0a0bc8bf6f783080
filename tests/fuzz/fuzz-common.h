/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Shared by the libFuzzer harnesses. The harnesses call the parsers exactly
 * as the binary does; what they add is a quiet logger (formatting still runs,
 * at debug level, so format bugs show) and a small in-memory machine, so that
 * whatever a parser accepts also goes through selection and both outputs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "output.h"
#include "pci.h"
#include "policy.h"
#include "select.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A sink that never fills: fopen("/dev/null") once, not per input. */
static inline FILE *fuzz_null(void)
{
	static FILE *null;

	if (!null) {
		null = fopen("/dev/null", "w");
		if (!null)
			abort();
		log_set_stream(null);
		log_set_max_level(LOG_DEBUG);
	}
	return null;
}

/*
 * A Turing card with its four functions in group 14, the host's boot VGA
 * and its audio in group 15, a bridge, and a NIC without a group: enough for
 * every selection rule to have something to act on. Driver and override
 * are never NULL ("" for none), as pci_table_load() leaves them.
 */
static const struct pci_func fuzz_funcs[] = {
	{ .addr = { 0, 0x00, 0x01, 1 }, .class = 0x060400, .vendor = 0x1022, .device = 0x1483, .boot_vga = -1,
	  .detailed = true, .has_override = true, .iommu_group = 14, .driver = "", .override = "", .variant = "" },
	{ .addr = { 0, 0x06, 0x00, 0 }, .class = 0x020000, .vendor = 0x8086, .device = 0x1539, .boot_vga = -1,
	  .detailed = true, .has_override = true, .iommu_group = -1, .driver = "igb", .override = "", .variant = "" },
	{ .addr = { 0, 0x2d, 0x00, 0 }, .class = 0x030000, .vendor = 0x10de, .device = 0x1e87, .boot_vga = 0,
	  .detailed = true, .has_override = true, .iommu_group = 14, .driver = "", .override = "", .variant = "" },
	{ .addr = { 0, 0x2d, 0x00, 1 }, .class = 0x040300, .vendor = 0x10de, .device = 0x10f8, .boot_vga = -1,
	  .detailed = true, .has_override = true, .iommu_group = 14, .driver = "", .override = "", .variant = "" },
	{ .addr = { 0, 0x2d, 0x00, 2 }, .class = 0x0c0330, .vendor = 0x10de, .device = 0x1ad8, .boot_vga = -1,
	  .detailed = true, .has_override = true, .iommu_group = 14, .driver = "", .override = "", .variant = "" },
	{ .addr = { 0, 0x2d, 0x00, 3 }, .class = 0x0c8000, .vendor = 0x10de, .device = 0x1ad9, .boot_vga = -1,
	  .detailed = true, .has_override = true, .iommu_group = 14, .driver = "", .override = "", .variant = "" },
	{ .addr = { 0, 0x2e, 0x00, 0 }, .class = 0x030000, .vendor = 0x1002, .device = 0x73ff, .boot_vga = 1,
	  .detailed = true, .has_override = true, .iommu_group = 15, .driver = "amdgpu", .override = "", .variant = "" },
	{ .addr = { 0, 0x2e, 0x00, 1 }, .class = 0x040300, .vendor = 0x1002, .device = 0xab28, .boot_vga = -1,
	  .detailed = true, .has_override = true, .iommu_group = 15, .driver = "", .override = "", .variant = "" },
};

/* Selection and both outputs over the in-memory machine, with and without an IOMMU. */
static inline void fuzz_plan(const struct policy *p)
{
	struct pci_func funcs[ELEMENTSOF(fuzz_funcs)];
	struct pci_table t = { .v = funcs, .n = ELEMENTSOF(funcs) };
	FILE *null = fuzz_null();

	for (int iommu = 0; iommu < 2; iommu++) {
		struct plan plan;
		size_t n_bind = 0;

		for (size_t i = 0; i < ELEMENTSOF(funcs); i++)
			funcs[i] = fuzz_funcs[i];
		t.iommu = iommu;
		if (plan_build(&t, p, &plan) < 0)
			abort();
		/* Every entry points into the table, and the counts agree. */
		for (size_t i = 0; i < plan.n; i++) {
			if (plan.v[i].func >= t.n)
				abort();
			n_bind += plan.v[i].action == PLAN_BIND;
		}
		if (n_bind != plan.n_bind)
			abort();
		plan_print(null, &t, &plan);
		plan_print_json(null, &t, &plan, NULL);
		plan_free(&plan);
	}
}
