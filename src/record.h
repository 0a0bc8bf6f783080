/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "pciaddr.h"
#include "policy.h"
#include "sysfs.h"

/*
 * What bind did at boot, for `vfio-binder doctor` to compare with the
 * machine later. /run is a tmpfs that survives the switch from the
 * initramfs to the real root, so a record written by the initramfs hook is
 * still there after the boot, and gone after the next one.
 *
 * RUN/vfio-binder/boot, one item a line, fields separated by one space:
 *   version 1
 *   time SECONDS                    (since the epoch, when bind finished)
 *   config PATH present|absent      (the configuration file bind read; PATH may hold spaces)
 *   function ADDR DRIVER OUTCOME    (one per planned function, OUTCOME bound|failed|skipped)
 * RUN/vfio-binder/boot.conf: a byte copy of that configuration file, absent
 * when there was none. A reader ignores keys it does not know, so later
 * versions can add lines.
 */

#define RECORD_DIR "vfio-binder"
#define RECORD_FILE "boot"
#define RECORD_CONF_FILE "boot.conf"
#define RECORD_VERSION 1
#define RECORD_SIZE_MAX ((size_t)1 << 20)

enum record_outcome { RECORD_BOUND, RECORD_FAILED, RECORD_SKIPPED };

struct record_func {
	struct pci_addr addr;
	char driver[DRIVER_NAME_MAX];	/* the driver it was to go to */
	enum record_outcome outcome;
};

struct boot_record {
	unsigned version;
	int64_t time;
	char *config;		/* owned */
	bool config_present;
	struct record_func *v;
	size_t n;
	/* record_read: boot.conf, or NULL when the record has none */
	char *config_copy;
	size_t config_copy_len;
};

const char *record_outcome_str(enum record_outcome o);
int record_outcome_parse(const char *s, enum record_outcome *ret);

/* Sets the configuration path (copied) and whether it existed. */
int record_set_config(struct boot_record *r, const char *path, bool present);
int record_add(struct boot_record *r, const struct pci_addr *a, const char *driver, enum record_outcome o);
void record_free(struct boot_record *r);

/*
 * Writes RUN/vfio-binder/boot and, when r->config_present, boot.conf with
 * the bytes of conf (conf_len of them), or of the file r->config when conf
 * is NULL. Each file is written to a temporary name and renamed over the
 * old one; the directory is made 0755, the files 0644. Never fatal: a
 * failure is logged as a warning and returned as -errno; the boot goes on.
 */
int record_write(const char *run_dir, const struct boot_record *r, const char *conf, size_t conf_len);

/*
 * RUN/vfio-binder, made 0755 when it is missing: an O_DIRECTORY fd, or
 * -errno. The runtime records (runtime.h) live there too.
 */
int record_dir_open(const char *run_dir);
/*
 * name in the directory dfd gets data through a temporary file and a
 * rename, so a reader sees the old file or the new one, never half of one.
 * Mode 0644 whatever the umask. 0 or -errno.
 */
int record_replace_file(int dfd, const char *name, const char *data, size_t len);
/* Formats the reason a record file is refused into err (when given) and returns r. */
_printf_(4, 5) int record_bad(char *err, size_t errsize, int r, const char *fmt, ...);

/*
 * Reads the record below the run root. -ENOENT when there is none; another
 * -errno with a message in err (file:line and what is wrong) when it
 * cannot be used. boot.conf is read into config_copy when it exists.
 */
int record_read(const struct sysfs *run, struct boot_record *ret, char *err, size_t errsize);
