// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio_binder.* parameters from the kernel command line, split the way the
 * kernel's own next_arg() does (lib/cmdline.c), so what the user typed at the
 * boot loader means the same to us as to the kernel.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "log.h"
#include "macro.h"

static char *skip_spaces(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

/* A copy of the kernel's next_arg(): quotes group, the first '=' splits. */
static char *next_arg(char *args, char **param, char **val)
{
	size_t i, equals = 0;
	bool in_quote = false, quoted = false;

	if (*args == '"') {
		args++;
		in_quote = quoted = true;
	}
	for (i = 0; args[i]; i++) {
		if (isspace((unsigned char)args[i]) && !in_quote)
			break;
		if (equals == 0 && args[i] == '=')
			equals = i;
		if (args[i] == '"')
			in_quote = !in_quote;
	}
	*param = args;
	if (!equals) {
		*val = NULL;
	} else {
		args[equals] = '\0';
		*val = args + equals + 1;
		if (**val == '"') {
			(*val)++;
			if (args[i - 1] == '"')
				args[i - 1] = '\0';
		}
	}
	if (quoted && i > 0 && args[i - 1] == '"')
		args[i - 1] = '\0';
	if (args[i]) {
		args[i] = '\0';
		args += i + 1;
	} else {
		args += i;
	}
	return skip_spaces(args);
}

/* The kernel treats '-' and '_' in parameter names as the same character. */
static bool parameq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char ca = *a, cb = *b;

		if (ca == '-')
			ca = '_';
		if (cb == '-')
			cb = '_';
		if (ca != cb)
			return false;
	}
	return *a == *b;
}

_printf_(3, 4) static void ignored(const char *param, const char *val, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warning("kernel command line: %s=%.200s: %s; ignored", param, val ? val : "", msg);
}

static int apply_list(struct policy *p, const char *param, const char *key, char *val)
{
	static const struct origin cmdline_origin = { NULL, 0 };
	int bad = 0;
	char *item, *save = NULL;
	size_t n = strlen(val);

	if (n == 0 || val[0] == ',' || val[n - 1] == ',' || strstr(val, ",,")) {
		ignored(param, val, "empty item in the list");
		bad++;
	}
	for (item = strtok_r(val, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		struct policy_entry e = { .origin = cmdline_origin };
		struct entry_list *l;

		if (streq(key, "id")) {
			if (pci_id_parse(item, &e.id) < 0) {
				ignored(param, item, "invalid vendor:device ID (expected e.g. 10de:1b81)");
				bad++;
				continue;
			}
			l = &p->ids;
		} else {
			char err[256];

			/* device and vfs may be pinned: 01:00.0@10de:1b81 */
			if (policy_entry_parse(item, key, 0, &e, err, sizeof(err)) < 0 || (e.pinned && streq(key, "exclude"))) {
				ignored(param, item, "invalid PCI address (expected DDDD:BB:DD.F or BB:DD.F in hex%s)",
					streq(key, "exclude") ? "" : ", optionally @VVVV:DDDD");
				bad++;
				continue;
			}
			l = streq(key, "device") ? &p->devices : streq(key, "vfs") ? &p->vfs : &p->excludes;
		}
		if (policy_add_entry(l, &e) < 0)
			return -ENOMEM;
	}
	return bad;
}

static int apply_param(struct policy *p, const char *param, char *val)
{
	const char *key;
	bool b;

	if (parameq(param, "vfio_binder")) {
		if (val && streq(val, "off")) {
			p->kill_switch = true;
			return 0;
		}
		ignored(param, val, "the only value is 'off' (the kill switch)");
		return 1;
	}
	if (strncmp(param, "vfio_binder.", 12) != 0 && strncmp(param, "vfio-binder.", 12) != 0)
		return 0;
	key = param + 12;
	if (!val || !*val) {
		ignored(param, val, "empty value");
		return 1;
	}
	if (parameq(key, "device") || parameq(key, "id") || parameq(key, "exclude") || parameq(key, "vfs"))
		return apply_list(p, param, parameq(key, "id") ? "id" : parameq(key, "device") ? "device" :
					    parameq(key, "vfs") ? "vfs" : "exclude", val);
	if (parameq(key, "policy")) {
		enum policy_mode m;

		if (policy_mode_parse(val, &m) < 0) {
			ignored(param, val, "unknown policy (expected list, boot_vga or off)");
			return 1;
		}
		if (m == POLICY_OFF)
			p->kill_switch = true;
		p->mode = m;
	} else if (parameq(key, "driver")) {
		if (!driver_name_valid(val)) {
			ignored(param, val, "invalid driver name (expected a module name)");
			return 1;
		}
		policy_set_driver(p, val);
	} else if (parameq(key, "companions")) {
		if (companions_parse(val, &p->companions) < 0) {
			ignored(param, val, "unknown companions (expected slot, audio or none)");
			return 1;
		}
	} else if (parameq(key, "group")) {
		if (group_mode_parse(val, &p->group) < 0) {
			ignored(param, val, "unknown group (expected check, bind or ignore)");
			return 1;
		}
	} else if (parameq(key, "unbind") || parameq(key, "require_iommu") || parameq(key, "load")) {
		if (bool_parse(val, &b) < 0) {
			ignored(param, val, "expected yes or no (or 1 or 0)");
			return 1;
		}
		if (parameq(key, "unbind"))
			p->unbind = b;
		else if (parameq(key, "load"))
			p->load = b;
		else
			p->require_iommu = b;
	} else {
		ignored(param, val, "unknown parameter (expected policy, driver, companions, group, unbind, require_iommu, load, device, id, vfs or exclude)");
		return 1;
	}
	return 0;
}

int cmdline_apply(struct policy *p, const char *cmdline)
{
	_cleanup_free_ char *buf = strndup(cmdline, CMDLINE_SIZE_MAX);
	size_t quotes = 0;
	int bad = 0;
	char *args;

	if (!buf)
		return -ENOMEM;
	if (strlen(cmdline) > CMDLINE_SIZE_MAX) {
		log_warning("kernel command line: longer than %d bytes; the rest is ignored", CMDLINE_SIZE_MAX);
		bad++;
	}
	for (const char *s = buf; *s; s++)
		quotes += *s == '"';
	if (quotes % 2) {
		log_warning("kernel command line: unbalanced '\"'; read as the kernel does, the quote runs to the end of the line");
		bad++;
	}
	args = skip_spaces(buf);
	while (*args) {
		char *param, *val;
		int r;

		args = next_arg(args, &param, &val);
		/* Everything after "--" belongs to init, not to the kernel. */
		if (!val && streq(param, "--"))
			break;
		r = apply_param(p, param, val);
		if (r < 0)
			return r;
		bad += r;
	}
	if (p->kill_switch)
		p->mode = POLICY_OFF;
	return bad;
}

bool cmdline_parameq(const char *a, const char *b)
{
	return parameq(a, b);
}

int cmdline_foreach(const char *cmdline, cmdline_fn fn, void *userdata)
{
	_cleanup_free_ char *buf = strndup(cmdline, CMDLINE_SIZE_MAX);
	char *args;

	if (!buf)
		return -ENOMEM;
	args = skip_spaces(buf);
	while (*args) {
		char *param, *val;
		int r;

		args = next_arg(args, &param, &val);
		if (!val && streq(param, "--"))
			break;
		r = fn(param, val, userdata);
		if (r != 0)
			return r;
	}
	return 0;
}

int cmdline_load(struct policy *p, const char *path)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = malloc(CMDLINE_SIZE_MAX + 2);
	size_t len = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		log_warning("%s: cannot open: %s; no vfio_binder.* parameters applied", path, strerror(errno));
		/* buf is _cleanup_free_: cppcheck does not know the cleanup attribute. */
		/* cppcheck-suppress memleak */
		return -errno;
	}
	while (len < CMDLINE_SIZE_MAX + 1) {
		ssize_t n = read(fd, buf + len, CMDLINE_SIZE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warning("%s: cannot read: %s; no vfio_binder.* parameters applied", path, strerror(errno));
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (strlen(buf) != len) {
		log_warning("%s: NUL byte in the command line; read up to it", path);
	}
	return cmdline_apply(p, buf);
}
