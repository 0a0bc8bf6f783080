// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The runtime record: what reserve and release changed since the boot. A
 * small file rewritten whole under a lock, so it never holds half of a
 * change and two commands at once do not lose each other's lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "record.h"
#include "runtime.h"

#define RUNTIME_SIZE_MAX ((size_t)1024 * 1024)

static const char *const state_names[] = {
	[RUNTIME_RESERVED] = "reserved",
	[RUNTIME_RELEASED] = "released",
};

const char *runtime_state_str(enum runtime_state s)
{
	return (size_t)s < ELEMENTSOF(state_names) ? state_names[s] : "?";
}

static int state_parse(const char *s, enum runtime_state *ret)
{
	for (size_t i = 0; i < ELEMENTSOF(state_names); i++)
		if (streq(s, state_names[i])) {
			*ret = (enum runtime_state)i;
			return 0;
		}
	return -EINVAL;
}

const struct runtime_func *runtime_find(const struct runtime *rt, const struct pci_addr *a)
{
	for (size_t i = 0; rt && i < rt->n; i++)
		if (pci_addr_eq(&rt->v[i].addr, a))
			return &rt->v[i];
	return NULL;
}

bool runtime_is_released(const struct runtime *rt, const struct pci_addr *a)
{
	const struct runtime_func *f = runtime_find(rt, a);

	return f && f->state == RUNTIME_RELEASED;
}

int runtime_set(struct runtime *rt, const struct pci_addr *a, enum runtime_state st, int64_t time, const char *driver,
		const char *command)
{
	struct runtime_func *f = (struct runtime_func *)runtime_find(rt, a);
	size_t at;

	if (!f) {
		struct runtime_func *v = reallocarray(rt->v, rt->n + 1, sizeof(*v));

		if (!v)
			return -ENOMEM;
		rt->v = v;
		/* in address order, so the file reads like list */
		for (at = rt->n; at > 0 && pci_addr_cmp(&v[at - 1].addr, a) > 0; at--)
			;
		memmove(v + at + 1, v + at, (rt->n - at) * sizeof(*v));
		rt->n++;
		f = &v[at];
	}
	*f = (struct runtime_func){ .addr = *a, .state = st, .time = time };
	snprintf(f->driver, sizeof(f->driver), "%s", driver ? driver : "");
	snprintf(f->command, sizeof(f->command), "%s", command ? command : "");
	/* One line per function: a newline in the command would start another. */
	for (char *c = f->command; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	return 0;
}

void runtime_unset(struct runtime *rt, const struct pci_addr *a)
{
	const struct runtime_func *f = runtime_find(rt, a);
	size_t at;

	if (!f)
		return;
	at = (size_t)(f - rt->v);
	memmove(rt->v + at, rt->v + at + 1, (rt->n - at - 1) * sizeof(*rt->v));
	rt->n--;
}

void runtime_free(struct runtime *rt)
{
	free(rt->v);
	*rt = (struct runtime){ 0 };
}

int runtime_write(const char *run_dir, const struct runtime *rt)
{
	_cleanup_close_ int dfd = -1;
	_cleanup_free_ char *text = NULL;
	size_t size = 0;
	FILE *f;
	int r;

	dfd = record_dir_open(run_dir);
	if (dfd < 0) {
		r = dfd;
		goto fail;
	}
	f = open_memstream(&text, &size);
	if (!f) {
		r = -ENOMEM;
		goto fail;
	}
	fprintf(f, "version %d\n", RUNTIME_VERSION);
	for (size_t i = 0; i < rt->n; i++) {
		const struct runtime_func *x = &rt->v[i];
		char addr[PCI_ADDR_STRLEN];

		fprintf(f, "function %s %s %" PRId64 " %s %s\n", pci_addr_fmt(&x->addr, addr), runtime_state_str(x->state),
			x->time, x->driver[0] ? x->driver : "-", x->command);
	}
	if (fclose(f) != 0 || !text) {
		r = -ENOMEM;
		goto fail;
	}
	r = record_replace_file(dfd, RUNTIME_FILE, text, size);
	if (r < 0)
		goto fail;
	return 0;
fail:
	log_warning("cannot write the runtime record %s/%s/%s: %s; status will not know of this change", run_dir,
		    RECORD_DIR, RUNTIME_FILE, strerror(-r));
	return r;
}

int runtime_lock(const char *run_dir)
{
	_cleanup_close_ int dfd = record_dir_open(run_dir);
	int fd;

	if (dfd < 0)
		return dfd;
	fd = openat(dfd, RUNTIME_LOCK_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) < 0) {
		int e = errno;

		if (e == EINTR)
			continue;
		close(fd);
		return -e;
	}
	return fd;
}

/* "function ADDR STATE TIME DRIVER COMMAND...": the fields split at single spaces, the command is the rest. */
static int parse_function(struct runtime *rt, char *rest)
{
	char *field[4], *command;
	struct pci_addr a;
	enum runtime_state st;
	long long t;
	char *end;

	for (size_t i = 0; i < ELEMENTSOF(field); i++) {
		field[i] = rest;
		rest = strchr(rest, ' ');
		if (!rest)
			return -EINVAL;
		*rest++ = '\0';
	}
	command = rest;
	if (pci_addr_parse(field[0], false, &a) < 0 || state_parse(field[1], &st) < 0)
		return -EINVAL;
	errno = 0;
	t = strtoll(field[2], &end, 10);
	if (errno || end == field[2] || *end || t < 0)
		return -EINVAL;
	if (!streq(field[3], "-") && !driver_name_valid(field[3]))
		return -EINVAL;
	return runtime_set(rt, &a, st, t, streq(field[3], "-") ? "" : field[3], command);
}

int runtime_read(const struct sysfs *run, struct runtime *ret, char *err, size_t errsize)
{
	_cleanup_free_ char *text = NULL;
	struct runtime rt = { 0 };
	const char *path = RECORD_DIR "/" RUNTIME_FILE;
	unsigned lineno = 0;
	bool have_version = false;
	size_t len;
	char *line, *next;
	int r;

	*ret = rt;
	r = sysfs_read_all(run, path, RUNTIME_SIZE_MAX, &text, &len);
	if (r == -ENOENT)
		return r;
	if (r < 0)
		return record_bad(err, errsize, r, "%s/%s: %s", run->path, path, strerror(-r));
	if (strlen(text) != len)
		return record_bad(err, errsize, -EINVAL, "%s/%s: NUL byte in the record", run->path, path);
	for (line = text; *line; line = next) {
		char *rest;

		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		lineno++;
		rest = strchr(line, ' ');
		if (rest)
			*rest++ = '\0';
		r = 0;
		if (lineno == 1 && (!rest || !streq(line, "version"))) {
			r = -EINVAL;
		} else if (lineno == 1) {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(rest, &end, 10);
			if (errno || end == rest || *end || v == 0)
				r = -EINVAL;
			else if (v > RUNTIME_VERSION)
				r = -EPROTONOSUPPORT;
			have_version = true;
		} else if (rest && streq(line, "function")) {
			r = parse_function(&rt, rest);
		}
		if (r == -EPROTONOSUPPORT) {
			runtime_free(&rt);
			return record_bad(err, errsize, r, "%s/%s: record version newer than this vfio-binder reads (%d)", run->path,
				   path, RUNTIME_VERSION);
		}
		if (r < 0) {
			runtime_free(&rt);
			return record_bad(err, errsize, r, "%s/%s:%u: %s", run->path, path, lineno,
				   r == -ENOMEM ? strerror(ENOMEM) : "not a valid record line");
		}
	}
	if (!have_version)
		return record_bad(err, errsize, -EINVAL, "%s/%s: empty record", run->path, path);
	*ret = rt;
	return 0;
}
