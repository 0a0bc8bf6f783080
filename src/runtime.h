/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pciaddr.h"
#include "policy.h"
#include "sysfs.h"

/*
 * What `reserve` and `release` changed since the boot, so that `status`
 * tells a function given back on purpose from one a native driver took,
 * `list` shows it, and the monitor leaves a released function alone until
 * it is reserved again. In /run beside the boot record (record.h): gone
 * after the next boot, as the changes are.
 *
 * RUN/vfio-binder/runtime, one item a line, fields separated by one space:
 *   version 1
 *   function ADDR STATE TIME DRIVER COMMAND...
 * STATE reserved|released; TIME seconds since the epoch; DRIVER the driver
 * the function ended on ("-": none); COMMAND the rest of the line, the
 * command that did it ("release --configured 0000:01:00.0"). One line per
 * function, the last change. A reader ignores keys it does not know.
 */

#define RUNTIME_FILE "runtime"
#define RUNTIME_LOCK_FILE "lock"
#define RUNTIME_VERSION 1
#define RUNTIME_COMMAND_MAX 256

enum runtime_state { RUNTIME_RESERVED, RUNTIME_RELEASED };

struct runtime_func {
	struct pci_addr addr;
	enum runtime_state state;
	int64_t time;
	char driver[DRIVER_NAME_MAX];	/* "" when it ended on no driver */
	char command[RUNTIME_COMMAND_MAX];
};

struct runtime {
	struct runtime_func *v;	/* in address order */
	size_t n;
};

const char *runtime_state_str(enum runtime_state s);
/* Records (or replaces) the last change of a function. command may hold anything but newlines. */
int runtime_set(struct runtime *rt, const struct pci_addr *a, enum runtime_state st, int64_t time, const char *driver,
		const char *command);
const struct runtime_func *runtime_find(const struct runtime *rt, const struct pci_addr *a);
/* Forgets a function: the record says nothing of it any more. */
void runtime_unset(struct runtime *rt, const struct pci_addr *a);
/*
 * Released at runtime and not reserved since: the monitor must leave it
 * alone. rt may be NULL (no record).
 */
bool runtime_is_released(const struct runtime *rt, const struct pci_addr *a);
void runtime_free(struct runtime *rt);

/*
 * Reads RUN/vfio-binder/runtime below the run root: 0, -ENOENT when there
 * is none (nothing changed since the boot), another -errno with a message
 * in err (file:line and what is wrong).
 */
int runtime_read(const struct sysfs *run, struct runtime *ret, char *err, size_t errsize);
/* Writes it atomically (record_replace_file). 0 or -errno, with a warning logged. */
int runtime_write(const char *run_dir, const struct runtime *rt);
/*
 * Takes RUN/vfio-binder/lock (flock, exclusive, waiting): two reserves at
 * once (libvirt starting two guests) act one after the other and neither
 * loses the other's record. Returns the fd to close, or -errno.
 */
int runtime_lock(const char *run_dir);
