// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#endif

#include "macro.h"
#include "sysfs.h"

int sysfs_open(struct sysfs *s, const char *path)
{
	struct stat st, real;
	const char *testbed, *preload;

	s->root_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->root_fd < 0)
		return -errno;
	s->path = strdup(path);
	if (!s->path) {
		close(s->root_fd);
		s->root_fd = -1;
		return -ENOMEM;
	}
	/*
	 * "--sysfs /sys/" or a bind mount of it is still the real thing. But
	 * umockdev's preload library redirects every /sys path, stat() included,
	 * into its testbed, so a testbed would look real: $UMOCKDEV_DIR is set
	 * (with the library in $LD_PRELOAD) when that redirection is active.
	 */
	testbed = getenv("UMOCKDEV_DIR");
	preload = getenv("LD_PRELOAD");
	s->real = fstat(s->root_fd, &st) == 0 && stat("/sys", &real) == 0 &&
		  st.st_dev == real.st_dev && st.st_ino == real.st_ino &&
		  !(testbed && *testbed && preload && strstr(preload, "umockdev"));
	return 0;
}

void sysfs_close(struct sysfs *s)
{
	if (s->root_fd >= 0)
		close(s->root_fd);
	s->root_fd = -1;
	free(s->path);
	s->path = NULL;
}

/*
 * What RESOLVE_BENEATH does, for kernels without openat2: walks rel one
 * component at a time below the root, follows relative symlinks (sysfs is
 * made of them) and refuses absolute ones and any ".." above the root with
 * EXDEV. Writes into out the same path with no symlink left in it, except
 * the last component when follow_last is false (O_NOFOLLOW then refuses
 * it). Checking a path and opening it are two steps, but only the kernel
 * makes links in the real sysfs.
 */
static int resolve_beneath(int root_fd, const char *rel, bool follow_last, char *out, size_t size)
{
	char todo[PATH_MAX], target[PATH_MAX];
	size_t outlen = 0, len = strlen(rel);
	unsigned links = 0;

	if (rel[0] == '/')
		return -EXDEV;
	if (len >= sizeof(todo) || size < 2)
		return -ENAMETOOLONG;
	memcpy(todo, rel, len + 1);
	out[0] = '\0';
	for (;;) {
		size_t n, prev = outlen;
		bool last;
		struct stat st;
		ssize_t l;

		len = strspn(todo, "/");
		memmove(todo, todo + len, strlen(todo + len) + 1);
		if (!todo[0])
			break;
		n = strcspn(todo, "/");
		last = todo[n + strspn(todo + n, "/")] == '\0';
		if (n == 2 && todo[0] == '.' && todo[1] == '.') {
			char *slash = strrchr(out, '/');

			if (!outlen)
				return -EXDEV;
			outlen = slash ? (size_t)(slash - out) : 0;
			out[outlen] = '\0';
		} else if (!(n == 1 && todo[0] == '.')) {
			if (outlen + n + 2 > size)
				return -ENAMETOOLONG;
			if (outlen)
				out[outlen++] = '/';
			memcpy(out + outlen, todo, n);
			outlen += n;
			out[outlen] = '\0';
		}
		memmove(todo, todo + n, strlen(todo + n) + 1);
		if (outlen <= prev || (last && !follow_last))
			continue;
		if (fstatat(root_fd, out, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		if (!S_ISLNK(st.st_mode))
			continue;
		if (++links > 40)
			return -ELOOP;
		l = readlinkat(root_fd, out, target, sizeof(target) - 1);
		if (l < 0)
			return -errno;
		target[l] = '\0';
		if (target[0] == '/')
			return -EXDEV;
		/* The link gives way to its target, read from the link's own directory. */
		outlen = prev;
		out[outlen] = '\0';
		len = strlen(todo);
		if ((size_t)l + 1 + len >= sizeof(todo))
			return -ENAMETOOLONG;
		memmove(todo + l + 1, todo, len + 1);
		memcpy(todo, target, (size_t)l);
		todo[l] = '/';
	}
	if (!outlen)
		memcpy(out, ".", 2);
	return 0;
}

/* openat2() attempts before a path that keeps racing with mounts is walked in userspace */
#define OPENAT2_TRIES 8

int sysfs_openat(const struct sysfs *s, const char *rel, int flags)
{
	static bool no_openat2;
	int fd;

	flags |= O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
#if defined(HAVE_LINUX_OPENAT2_H) && defined(SYS_openat2)
	if (!no_openat2) {
		struct open_how how = {
			.flags = (unsigned)flags,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
		};
		int tries = 0;

		/*
		 * EAGAIN: a mount or rename anywhere on the system raced with a
		 * ".." of the walk (every bus/pci/devices link has three), and the
		 * kernel could not prove the result stays beneath the root. Try
		 * again; if the races go on, this one path takes the walk below.
		 */
		do
			fd = (int)syscall(SYS_openat2, s->root_fd, rel, &how, sizeof(how));
		while (fd < 0 && errno == EAGAIN && ++tries < OPENAT2_TRIES);
		if (fd >= 0)
			return fd;
		/* Kernels before 5.6, or a seccomp filter that does not know the call */
		if (errno == ENOSYS || errno == EPERM)
			no_openat2 = true;
		else if (errno != EAGAIN)
			return -errno;
	}
#endif
	{
		char path[PATH_MAX];
		int r = resolve_beneath(s->root_fd, rel, !(flags & O_NOFOLLOW), path, sizeof(path));

		if (r < 0)
			return r;
		fd = openat(s->root_fd, path, flags);
	}
	return fd < 0 ? -errno : fd;
}

ssize_t sysfs_read(const struct sysfs *s, const char *rel, char *buf, size_t size)
{
	_cleanup_close_ int fd = sysfs_openat(s, rel, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return fd;
	/* sysfs hands out an attribute in one read; a second would be a wasted syscall */
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
		n--;
	buf[n] = '\0';
	return n;
}

int sysfs_readlink_name(const struct sysfs *s, const char *rel, char *buf, size_t size)
{
	_cleanup_close_ int dfd = -1;
	char target[PATH_MAX], dir[PATH_MAX];
	const char *base, *slash = strrchr(rel, '/');
	ssize_t n;

	/*
	 * readlinkat() follows the links on the way (bus/pci/devices/ADDR is
	 * one) without any RESOLVE_BENEATH: open the directory through the
	 * checked path first, so a link out of the root is refused here too.
	 */
	if (slash) {
		if ((size_t)(slash - rel) >= sizeof(dir))
			return -ENAMETOOLONG;
		memcpy(dir, rel, (size_t)(slash - rel));
		dir[slash - rel] = '\0';
		dfd = sysfs_openat(s, dir, O_RDONLY | O_DIRECTORY);
		if (dfd < 0)
			return dfd;
		rel = slash + 1;
	}
	n = readlinkat(dfd >= 0 ? dfd : s->root_fd, rel, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (!*base || strlen(base) >= size)
		return -ENAMETOOLONG;
	memcpy(buf, base, strlen(base) + 1);
	return 0;
}

int sysfs_write(const struct sysfs *s, const char *rel, const char *val, bool append)
{
	_cleanup_close_ int fd = -1;
	char buf[128];
	size_t len;
	struct stat st;
	ssize_t n;

	/* What "echo" writes; the kernel strips the newline from all three attributes. */
	len = (size_t)snprintf(buf, sizeof(buf), "%s\n", val);
	if (len >= sizeof(buf))
		return -ENAMETOOLONG;

	fd = sysfs_openat(s, rel, O_WRONLY | O_NOFOLLOW | (append ? O_APPEND : O_TRUNC));
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	do
		n = write(fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

DIR *sysfs_opendir(const struct sysfs *s, const char *rel)
{
	int fd = sysfs_openat(s, rel, O_RDONLY | O_DIRECTORY);
	DIR *d;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	d = fdopendir(fd);
	if (!d) {
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return d;
}
