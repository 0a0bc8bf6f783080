/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "log.h"
#include "modload.h"
#include "pciaddr.h"

/*
 * `vfio-binder reserve` and `release`: a card moved between the host and
 * the driver (vfio-pci) while the machine runs. The set a target stands
 * for comes from the plan, built as at boot from a policy whose device
 * entries are the targets (with the configuration's driver, companions,
 * group and excludes, and unbind = yes): a GPU brings its card, group =
 * bind its group, and nothing is planned that the boot would refuse.
 * Everything is judged before the first write: a target the plan refuses,
 * the boot VGA without --force, or anyone holding one of the functions
 * (holders.h) refuses the whole command, and nothing is written.
 */

struct reserve_opts {
	bool release;
	const char *config;
	const char *cmdline;	/* NULL: --no-cmdline */
	const char *sysfs;
	const char *proc, *dev;	/* NULL: /proc, /dev */
	const char *modules_dir;	/* driver = auto: where the variants are looked up; NULL the running kernel's */
	/* NULL: /run on the running kernel's sysfs, no record on a fake tree */
	const char *run;
	const struct pci_addr *targets;
	size_t n_targets;
	bool all;		/* reserve: the configuration's plan; release: that and what reserve took */
	bool force;		/* reserve: the boot VGA's card, and holders the kernel drops (vtcon) */
	bool configured;	/* release: only targets the configuration marks return_to_host */
	bool json;
	bool dry_run;
	bool no_load;
	enum log_target log;
	const char *command;	/* what did it, for the runtime record */
	FILE *out;
	/* NULL: libkmod on the running kernel's sysfs, nothing on a fake tree. Tests pass their own. */
	modload_fn load_fn;
	void *load_data;
};

/* The exit statuses, bind's (see --help). */
#define RESERVE_EXIT_FAILED 1	/* refused, or some function did not end where asked */
#define RESERVE_EXIT_USAGE 2	/* usage or configuration error: nothing written */

int reserve_run(const struct reserve_opts *o);
