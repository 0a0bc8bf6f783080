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
 * Writes val to an attribute that must exist as a regular file; the last
 * component is never a symlink. append: the sinks drivers_probe and unbind,
 * where a fake tree keeps one line per request.
 */
int sysfs_write(const struct sysfs *s, const char *rel, const char *val, bool append);
DIR *sysfs_opendir(const struct sysfs *s, const char *rel);
