/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>

/*
 * `vfio-binder doctor`: before a reboot, everything that decides whether
 * the next boot hands the configured devices to the driver, each with what
 * was seen and the exact fix. Read-only: it writes nothing below any root
 * and loads no module.
 */

struct doctor_opts {
	const char *config;	/* the configuration file */
	const char *cmdline;	/* the kernel command line file */
	bool no_cmdline;	/* vfio_binder.* parameters ignored (the other checks still read the file) */
	/*
	 * Roots, like --sysfs. sysfs must open; the others may be NULL for
	 * their defaults (/proc, /etc, /boot, /lib/modules, /run), which a
	 * machine may lack: then nothing is found below them. A root given
	 * by the user must open.
	 */
	const char *sysfs, *proc, *etc, *boot, *modules, *run;
	bool json;
};

#define DOCTOR_EXIT_ERRORS 1	/* at least one check found an error */
#define DOCTOR_EXIT_USAGE 2	/* a root cannot be opened, or the configuration has errors */

/* Runs every check and prints the findings to out. Returns the exit status. */
int doctor_run(const struct doctor_opts *o, FILE *out);
