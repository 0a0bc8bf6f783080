/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Every access to sysfs goes through here, relative to one root directory fd
 * (like util-linux's path.h and lscpu --sysroot), so tests point the whole
 * program at a fake tree with --sysfs DIR.
 */
struct sysfs {
	int root_fd;
	bool real;		/* the running kernel's /sys, not a fake tree */
	char *path;
};

int sysfs_open(struct sysfs *s, const char *path);
void sysfs_close(struct sysfs *s);

/*
 * Reads a whole file of up to max bytes (configuration files, /proc/cpuinfo,
 * a boot record) into a malloc'd, NUL-terminated buffer: 0, or -EFBIG when
 * it is larger, or another -errno. Unlike sysfs_read, nothing is stripped.
 */
int sysfs_read_all(const struct sysfs *s, const char *rel, size_t max, char **ret, size_t *len);
/* The same from an open fd (a file named by the user, outside any root). */
int read_fd_all(int fd, size_t max, char **ret, size_t *len);

/*
 * Opens rel below the root; the path may not leave the root through ".." or
 * absolute symlinks (openat2 RESOLVE_BENEATH where the kernel has it).
 * Returns an fd or -errno.
 */
int sysfs_openat(const struct sysfs *s, const char *rel, int flags);
/* Reads an attribute into buf, without its trailing newline. Returns its length or -errno. */
ssize_t sysfs_read(const struct sysfs *s, const char *rel, char *buf, size_t size);
/* The last component of a symlink's target ("vfio-pci" for .../driver). */
int sysfs_readlink_name(const struct sysfs *s, const char *rel, char *buf, size_t size);
/*
 * The whole target of the link name in dfd, a directory this layer opened
 * as dirrel (named in messages and to the fault seam): one readlinkat(),
 * for a loop over a directory such as bus/pci/devices.
 */
int sysfs_readlinkat(const struct sysfs *s, int dfd, const char *dirrel, const char *name, char *buf, size_t size);
/*
 * Writes val to an attribute that must exist as a regular file; the last
 * component is never a symlink. append: the sinks drivers_probe and unbind,
 * where a fake tree keeps one line per request.
 */
int sysfs_write(const struct sysfs *s, const char *rel, const char *val, bool append);
DIR *sysfs_opendir(const struct sysfs *s, const char *rel);

/*
 * openat2(RESOLVE_BENEATH) answers EAGAIN when a rename or mount anywhere in
 * the system races its walk through "..", and every bus/pci/devices/ADDR
 * link walks "..". It is retried this many times, then the path is resolved
 * in userspace instead: a read that fails must not make a device look
 * harmless (no boot_vga, no group).
 */
#define SYSFS_EAGAIN_TRIES 8

/*
 * The test seam for faults the kernel makes rarely or only under load:
 * called before each step with the path below the root; a negative errno
 * makes that step fail with it. NULL (the default) injects nothing.
 */
enum sysfs_step {
	SYSFS_STEP_OPENAT2,	/* the openat2() call */
	SYSFS_STEP_RESOLVE,	/* the userspace resolver, after openat2 gave up or is missing */
	SYSFS_STEP_READ,	/* read() of an attribute that opened */
	SYSFS_STEP_READLINK,	/* readlinkat() of a link */
};
typedef int (*sysfs_fault_fn)(enum sysfs_step step, const char *rel, void *data);
void sysfs_set_fault(sysfs_fault_fn fn, void *data);
