/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "log.h"
#include "sysfs.h"

/* Where the uevents come from; see udev_monitor_new_from_netlink(3). */
enum monitor_source {
	MONITOR_SOURCE_KERNEL,	/* the kernel's own multicast: no udevd needed (early boot, initramfs) */
	MONITOR_SOURCE_UDEV,	/* udevd's re-broadcast, after its rules ran */
};

struct monitor_opts {
	const char *config;	/* /etc/vfio.conf */
	const char *cmdline;	/* /proc/cmdline; NULL: --no-cmdline */
	const char *sysfs;	/* /sys, or a test tree */
	const char *run;	/* the run root with the runtime record; NULL: /run on the real sysfs, none on a test tree */
	bool no_load;		/* --no-load: overrides only, no module load, no probe */
	bool dry_run;		/* --dry-run: print the writes, make none */
	enum log_target log;	/* auto means stderr for the daemon: its supervisor keeps stderr */
	enum monitor_source source;
};

/* Exit statuses of monitor_run(), the same numbers as bind's (see --help). */
#define MONITOR_EXIT_FAILURE 1	/* could not start or keep watching (netlink, signals) */
#define MONITOR_EXIT_CONFIG 2	/* usage or configuration error at start: nothing written */

int monitor_source_parse(const char *s, enum monitor_source *ret);

/*
 * The daemon: one full bind pass, then the policy applied to each PCI
 * function that appears (uevent "add"), until SIGTERM or SIGINT (exit 0).
 * SIGHUP re-reads the configuration and the command line; a bad new
 * configuration is reported and the old policy kept. Returns an exit status.
 */
int monitor_run(const struct monitor_opts *o);
