// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The boot record: what bind did, kept in /run for `vfio-binder doctor`.
 * Written at boot, so every failure is a warning and nothing here ever
 * stops the boot; read later by an unprivileged user, so the files are
 * world-readable.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "record.h"

static const char *const outcome_names[] = {
	[RECORD_BOUND] = "bound",
	[RECORD_FAILED] = "failed",
	[RECORD_SKIPPED] = "skipped",
};

const char *record_outcome_str(enum record_outcome o)
{
	return (size_t)o < ELEMENTSOF(outcome_names) ? outcome_names[o] : "?";
}

int record_outcome_parse(const char *s, enum record_outcome *ret)
{
	for (size_t i = 0; i < ELEMENTSOF(outcome_names); i++)
		if (streq(s, outcome_names[i])) {
			*ret = (enum record_outcome)i;
			return 0;
		}
	return -EINVAL;
}

int record_set_config(struct boot_record *r, const char *path, bool present)
{
	char *copy = strdup(path);

	if (!copy)
		return -ENOMEM;
	free(r->config);
	r->config = copy;
	r->config_present = present;
	return 0;
}

int record_add(struct boot_record *r, const struct pci_addr *a, const char *driver, enum record_outcome o)
{
	struct record_func *v = reallocarray(r->v, r->n + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	r->v = v;
	v[r->n] = (struct record_func){ .addr = *a, .outcome = o };
	snprintf(v[r->n].driver, sizeof(v->driver), "%s", driver);
	r->n++;
	return 0;
}

void record_free(struct boot_record *r)
{
	free(r->config);
	free(r->v);
	free(r->config_copy);
	*r = (struct boot_record){ 0 };
}

/* A name no field can hold: drivers and paths are written with no newline, no empty field. */
static bool field_ok(const char *s)
{
	return *s && !strpbrk(s, "\n\r");
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * name gets data through a temporary file and a rename, so a reader sees
 * the old file or the new one, never half of one. No fsync: /run is a
 * tmpfs, and the boot should not wait for a disk it does not have.
 */
int record_replace_file(int dfd, const char *name, const char *data, size_t len)
{
	char tmp[64];
	int fd, r;

	snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", name, (long)getpid());
	(void)unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	/* The mode must not depend on the umask the initramfs happens to run with. */
	r = fchmod(fd, 0644) < 0 ? -errno : write_all(fd, data, len);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(dfd, tmp, dfd, name) < 0)
		r = -errno;
	if (r < 0)
		(void)unlinkat(dfd, tmp, 0);
	return r;
}

static int read_path(const char *path, char **ret, size_t *len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	return read_fd_all(fd, RECORD_SIZE_MAX, ret, len);
}

int record_dir_open(const char *run_dir)
{
	_cleanup_close_ int run_fd = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int dfd;

	if (run_fd < 0)
		return -errno;
	if (mkdirat(run_fd, RECORD_DIR, 0755) == 0) {
		/* The umask may have taken bits off; only a directory made here is ours to set. */
		if (fchmodat(run_fd, RECORD_DIR, 0755, 0) < 0)
			return -errno;
	} else if (errno != EEXIST) {
		return -errno;
	}
	dfd = openat(run_fd, RECORD_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return dfd < 0 ? -errno : dfd;
}

int record_write(const char *run_dir, const struct boot_record *r, const char *conf, size_t conf_len)
{
	_cleanup_close_ int dfd = -1;
	_cleanup_free_ char *text = NULL, *copy = NULL;
	size_t size = 0;
	FILE *f;
	int e;

	if (r->config && !field_ok(r->config)) {
		log_warning("boot record: the configuration path holds a newline; no record written");
		return -EINVAL;
	}
	for (size_t i = 0; i < r->n; i++)
		if (!field_ok(r->v[i].driver) || strchr(r->v[i].driver, ' ')) {
			log_warning("boot record: driver name '%s' cannot be recorded; no record written", r->v[i].driver);
			return -EINVAL;
		}

	dfd = record_dir_open(run_dir);
	if (dfd < 0) {
		e = dfd;
		goto fail;
	}

	/* boot.conf first: whoever sees the new record sees the configuration it names. */
	if (r->config_present) {
		if (!conf) {
			e = r->config ? read_path(r->config, &copy, &conf_len) : -EINVAL;
			if (e < 0) {
				log_warning("boot record: cannot read %s for a copy: %s", r->config, strerror(-e));
				goto fail;
			}
			conf = copy;
		}
		e = record_replace_file(dfd, RECORD_CONF_FILE, conf, conf_len);
	} else {
		e = unlinkat(dfd, RECORD_CONF_FILE, 0) < 0 && errno != ENOENT ? -errno : 0;
	}
	if (e < 0)
		goto fail;

	f = open_memstream(&text, &size);
	if (!f) {
		e = -ENOMEM;
		goto fail;
	}
	fprintf(f, "version %d\ntime %" PRId64 "\n", RECORD_VERSION, r->time);
	if (r->config)
		fprintf(f, "config %s %s\n", r->config, r->config_present ? "present" : "absent");
	for (size_t i = 0; i < r->n; i++) {
		char addr[PCI_ADDR_STRLEN];

		fprintf(f, "function %s %s %s\n", pci_addr_fmt(&r->v[i].addr, addr), r->v[i].driver,
			record_outcome_str(r->v[i].outcome));
	}
	if (fclose(f) != 0 || !text) {
		e = -ENOMEM;
		goto fail;
	}
	e = record_replace_file(dfd, RECORD_FILE, text, size);
	if (e < 0)
		goto fail;
	return 0;
fail:
	log_warning("cannot write the boot record to %s/%s: %s; the binding is not affected", run_dir, RECORD_DIR,
		    strerror(-e));
	return e;
}

_printf_(4, 5) int record_bad(char *err, size_t errsize, int r, const char *fmt, ...)
{
	va_list ap;

	if (err && errsize) {
		va_start(ap, fmt);
		vsnprintf(err, errsize, fmt, ap);
		va_end(ap);
	}
	return r;
}

static int parse_line(struct boot_record *rec, char *line, bool *have_version)
{
	char *key = line, *rest = strchr(line, ' ');

	/* A key alone is one this version does not know, or an empty line. */
	if (!rest)
		return 0;
	*rest++ = '\0';
	if (streq(key, "version")) {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(rest, &end, 10);
		if (errno || end == rest || *end || v == 0 || v > 1000)
			return -EINVAL;
		rec->version = (unsigned)v;
		*have_version = true;
		if (v > RECORD_VERSION)
			return -EPROTONOSUPPORT;
	} else if (streq(key, "time")) {
		char *end;
		long long t;

		errno = 0;
		t = strtoll(rest, &end, 10);
		if (errno || end == rest || *end || t < 0)
			return -EINVAL;
		rec->time = t;
	} else if (streq(key, "config")) {
		char *state = strrchr(rest, ' ');

		if (!state || state == rest)
			return -EINVAL;
		*state++ = '\0';
		if (!streq(state, "present") && !streq(state, "absent"))
			return -EINVAL;
		return record_set_config(rec, rest, streq(state, "present"));
	} else if (streq(key, "function")) {
		char addr[32], driver[DRIVER_NAME_MAX + 1], outcome[16], extra;
		struct pci_addr a;
		enum record_outcome o;

		if (sscanf(rest, "%31s %64s %15s %c", addr, driver, outcome, &extra) != 3)
			return -EINVAL;
		if (pci_addr_parse(addr, false, &a) < 0 || !driver_name_valid(driver) ||
		    record_outcome_parse(outcome, &o) < 0)
			return -EINVAL;
		return record_add(rec, &a, driver, o);
	}
	return 0;
}

int record_read(const struct sysfs *run, struct boot_record *ret, char *err, size_t errsize)
{
	_cleanup_free_ char *text = NULL;
	struct boot_record rec = { 0 };
	const char *path = RECORD_DIR "/" RECORD_FILE;
	bool have_version = false;
	unsigned lineno = 0;
	size_t len;
	char *line, *next;
	int r;

	*ret = rec;
	r = sysfs_read_all(run, path, RECORD_SIZE_MAX, &text, &len);
	if (r == -ENOENT)
		return r;
	if (r < 0)
		return record_bad(err, errsize, r, "%s/%s: %s", run->path, path, strerror(-r));
	if (strlen(text) != len)
		return record_bad(err, errsize, -EINVAL, "%s/%s: NUL byte in the record", run->path, path);
	for (line = text; *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		lineno++;
		r = parse_line(&rec, line, &have_version);
		if (r == -EPROTONOSUPPORT) {
			unsigned v = rec.version;

			record_free(&rec);
			return record_bad(err, errsize, r, "%s/%s: record version %u, newer than this vfio-binder reads (%d)",
				   run->path, path, v, RECORD_VERSION);
		}
		if (r < 0) {
			record_free(&rec);
			return record_bad(err, errsize, r, "%s/%s:%u: %s", run->path, path, lineno,
				   r == -ENOMEM ? strerror(ENOMEM) : "not a valid record line");
		}
		if (lineno == 1 && !have_version) {
			record_free(&rec);
			return record_bad(err, errsize, -EINVAL, "%s/%s:1: the record does not start with 'version'", run->path,
				   path);
		}
	}
	if (!have_version) {
		record_free(&rec);
		return record_bad(err, errsize, -EINVAL, "%s/%s: empty record", run->path, path);
	}
	r = sysfs_read_all(run, RECORD_DIR "/" RECORD_CONF_FILE, RECORD_SIZE_MAX, &rec.config_copy, &rec.config_copy_len);
	if (r < 0 && r != -ENOENT) {
		record_free(&rec);
		return record_bad(err, errsize, r, "%s/%s/%s: %s", run->path, RECORD_DIR, RECORD_CONF_FILE, strerror(-r));
	}
	*ret = rec;
	return 0;
}
