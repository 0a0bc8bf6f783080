// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What is in an initramfs image, asked of the tools each generator ships:
 * compressed, concatenated (early microcode first) and generator-specific
 * layouts are their business, and they keep up with new compressors.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "initramfs.h"
#include "macro.h"
#include "sysfs.h"

extern char **environ;

#define LISTING_MAX (64u << 20)	/* a listing of a large image is a few hundred KiB */

const char *initramfs_gen_name(enum initramfs_gen g)
{
	switch (g) {
	case GEN_DRACUT:
		return "dracut";
	case GEN_INITRAMFS_TOOLS:
		return "initramfs-tools";
	case GEN_MKINITCPIO:
		return "mkinitcpio";
	default:
		return "an unknown generator";
	}
}

const char *initramfs_gen_rebuild(enum initramfs_gen g, const char *kver, char *buf, size_t size)
{
	switch (g) {
	case GEN_DRACUT:
		snprintf(buf, size, "dracut -f --kver %s", kver);
		break;
	case GEN_INITRAMFS_TOOLS:
		snprintf(buf, size, "update-initramfs -u -k %s", kver);
		break;
	case GEN_MKINITCPIO:
		snprintf(buf, size, "mkinitcpio -P");
		break;
	default:
		snprintf(buf, size, "update-initramfs -u -k %s, dracut -f --kver %s or mkinitcpio -P, whichever built it",
			 kver, kver);
		break;
	}
	return buf;
}

char *tool_find(const char *name)
{
	const char *path = getenv("PATH");

	if (!path || !*path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		char *full;
		struct stat st;

		/* An empty PATH entry is the current directory; never run a tool from there. */
		if (n > 0 && path[0] == '/' && asprintf(&full, "%.*s/%s", (int)n, path, name) >= 0) {
			if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
				return full;
			free(full);
		}
		path += n + (path[n] == ':');
	}
	return NULL;
}

int spawn_capture(const char *const argv[], const char *cwd, size_t max, char **out, size_t *len)
{
	_cleanup_free_ char *buf = NULL;
	posix_spawn_file_actions_t fa;
	size_t n = 0, alloc = 0;
	int pfd[2], status, r;
	pid_t pid;

	*out = NULL;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	r = posix_spawn_file_actions_init(&fa);
	if (r == 0)
		r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
	if (r == 0)
		r = posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	if (r == 0 && cwd)
		r = posix_spawn_file_actions_addchdir_np(&fa, cwd);
	if (r == 0)
		r = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (r != 0) {
		close(pfd[0]);
		return -r;
	}
	for (;;) {
		char chunk[65536];
		ssize_t k = read(pfd[0], chunk, sizeof(chunk));

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		/* Past max the output is drained and dropped, so the child never blocks on a full pipe. */
		if (n + (size_t)k > max)
			continue;
		if (n + (size_t)k + 1 > alloc) {
			size_t a = alloc ? alloc : 65536;
			char *b;

			while (a < n + (size_t)k + 1)
				a *= 2;
			b = realloc(buf, a);
			if (!b)
				continue;
			buf = b;
			alloc = a;
		}
		memcpy(buf + n, chunk, (size_t)k);
		n += (size_t)k;
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!buf) {
		buf = strdup("");
		if (!buf)
			return -ENOMEM;
	}
	buf[n] = '\0';
	*out = buf;
	buf = NULL;
	if (len)
		*len = n;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static const char *strip_dot(const char *s)
{
	for (;;) {
		if (s[0] == '.' && s[1] == '/')
			s += 2;
		else if (s[0] == '/')
			s++;
		else
			return s;
	}
}

static int add_name(struct image_listing *l, const char *name, size_t n, size_t *alloc)
{
	char *copy;

	if (n == 0 || (n == 1 && name[0] == '.'))
		return 0;
	if (l->n == *alloc) {
		size_t a = *alloc ? *alloc * 2 : 512;
		char **v = reallocarray(l->names, a, sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->names = v;
		*alloc = a;
	}
	copy = strndup(name, n);
	if (!copy)
		return -ENOMEM;
	l->names[l->n++] = copy;
	return 0;
}

/* "drwxr-xr-x   1 root root 0 Jan  1 00:00 name": the name after eight fields */
static const char *long_name(const char *line)
{
	static const char types[] = "-dlcbps";

	if (!strchr(types, line[0]) || strlen(line) < 11 || strspn(line + 1, "rwxsStT-") != 9)
		return NULL;
	for (int field = 0; field < 8; field++) {
		line += strcspn(line, " \t");
		line += strspn(line, " \t");
		if (!*line)
			return NULL;
	}
	return line;
}

static int parse_listing(struct image_listing *l, char *text, bool long_format)
{
	size_t alloc = 0;

	for (char *line = text, *next; *line; line = next) {
		const char *name = line;
		size_t n;
		int r;

		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		if (long_format) {
			const char *arrow;

			name = long_name(line);
			if (!name)
				continue;
			name = strip_dot(name);
			arrow = strstr(name, " -> ");
			n = arrow ? (size_t)(arrow - name) : strlen(name);
		} else {
			name = strip_dot(name);
			n = strlen(name);
		}
		r = add_name(l, name, n, &alloc);
		if (r < 0)
			return r;
	}
	return 0;
}

int image_list(const char *image, enum initramfs_gen hint, struct image_listing *ret)
{
	static const char *const orders[][3] = {
		[GEN_UNKNOWN] = { "lsinitramfs", "lsinitrd", "lsinitcpio" },
		[GEN_DRACUT] = { "lsinitrd", "lsinitramfs", "lsinitcpio" },
		[GEN_INITRAMFS_TOOLS] = { "lsinitramfs", "lsinitrd", "lsinitcpio" },
		[GEN_MKINITCPIO] = { "lsinitcpio", "lsinitrd", "lsinitramfs" },
	};
	_cleanup_free_ char *out = NULL;

	*ret = (struct image_listing){ 0 };
	for (size_t i = 0; i < 3; i++) {
		const char *name = orders[hint][i];
		_cleanup_free_ char *tool = tool_find(name);
		const char *argv[] = { tool, image, NULL };
		int r;

		if (!tool)
			continue;
		ret->tool = name;
		r = spawn_capture(argv, NULL, LISTING_MAX, &out, NULL);
		if (r != 0)
			return r;
		r = parse_listing(ret, out, streq(name, "lsinitrd"));
		if (r < 0)
			image_listing_free(ret);
		return r;
	}
	return -ENOENT;
}

void image_listing_free(struct image_listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	*l = (struct image_listing){ 0 };
}

const char *image_find(const struct image_listing *l, const char *suffix)
{
	size_t s = strlen(suffix);

	for (size_t i = 0; i < l->n; i++) {
		const char *m = l->names[i];
		size_t n = strlen(m);

		if (streq(m, suffix) || (n > s && m[n - s - 1] == '/' && streq(m + n - s, suffix)))
			return m;
	}
	return NULL;
}

const char *image_find_file(const struct image_listing *l, const char *prefix)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *base = strrchr(l->names[i], '/');

		base = base ? base + 1 : l->names[i];
		if (!strncmp(base, prefix, strlen(prefix)))
			return l->names[i];
	}
	return NULL;
}

enum initramfs_gen image_generator(const struct image_listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strncmp(l->names[i], "usr/lib/dracut/", 15) || !strncmp(l->names[i], "lib/dracut/", 11))
			return GEN_DRACUT;
	for (size_t i = 0; i < l->n; i++)
		if (streq(l->names[i], "init_functions"))
			return GEN_MKINITCPIO;
	for (size_t i = 0; i < l->n; i++)
		if (streq(l->names[i], "conf/initramfs.conf") || streq(l->names[i], "scripts/functions"))
			return GEN_INITRAMFS_TOOLS;
	return GEN_UNKNOWN;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)remove(path);
	return 0;
}

static int read_file(const char *path, size_t max, char **data, size_t *len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);

	if (fd < 0)
		return -errno;
	return read_fd_all(fd, max, data, len);
}

/* Unpacks image into a fresh temporary directory with argv (IMAGE and DIR filled in), then reads member. */
static int extract_via_dir(const char *tool, const char *image, const char *member, size_t max, char **data,
			   size_t *len)
{
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX], path[PATH_MAX * 2];
	_cleanup_free_ char *out = NULL;
	bool lsinitcpio = strstr(tool, "lsinitcpio") != NULL;
	int r;

	snprintf(dir, sizeof(dir), "%s/vfio-binder-doctor.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -errno;
	if (lsinitcpio) {
		const char *argv[] = { tool, "-x", image, NULL };

		r = spawn_capture(argv, dir, 1 << 20, &out, NULL);
	} else {
		const char *argv[] = { tool, image, dir, NULL };

		r = spawn_capture(argv, NULL, 1 << 20, &out, NULL);
	}
	if (r > 0)
		r = -EIO;
	if (r == 0) {
		/* unmkinitramfs puts the main archive in main/ when early archives come first */
		snprintf(path, sizeof(path), "%s/main/%s", dir, member);
		r = read_file(path, max, data, len);
		if (r == -ENOENT) {
			snprintf(path, sizeof(path), "%s/%s", dir, member);
			r = read_file(path, max, data, len);
		}
	}
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return r;
}

int image_extract(const char *image, const char *member, size_t max, char **data, size_t *len)
{
	_cleanup_free_ char *tool = tool_find("lsinitrd");
	int r;

	*data = NULL;
	if (tool) {
		const char *argv[] = { tool, "-f", member, image, NULL };

		r = spawn_capture(argv, NULL, max, data, len);
		if (r == 0)
			return 0;
		free(*data);
		*data = NULL;
		return r > 0 ? -EIO : r;
	}
	tool = tool_find("unmkinitramfs");
	if (!tool)
		tool = tool_find("lsinitcpio");
	if (!tool)
		return -ENOENT;
	return extract_via_dir(tool, image, member, max, data, len);
}
