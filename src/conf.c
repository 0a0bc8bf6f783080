// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * /etc/vfio.conf, parsed with inih. inih reports only the first bad line and
 * knows nothing of our keys, so we feed it lines ourselves: that gives every
 * message its line number, lets us refuse what inih would silently mangle
 * (overlong lines, NUL bytes, indented lines taken as continuations), and
 * reports every problem of a file at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"
#include "conf.h"
#include "log.h"
#include "macro.h"

enum scalar { S_POLICY, S_DRIVER, S_COMPANIONS, S_GROUP, S_UNBIND, S_REQUIRE_IOMMU, S_LOAD, S_RETURN_TO_HOST, S_COUNT };

static const char *const scalar_names[S_COUNT] = {
	"policy", "driver", "companions", "group", "unbind", "require_iommu", "load", "return_to_host",
};

struct parser {
	const char *name;
	const char *data;
	size_t len, pos;
	unsigned line;
	unsigned errors;
	bool bad_section;	/* keys under an unknown section: reported once, at its header */
	bool in_sriov;		/* [sriov]: the key is an address, which holds ':' */
	unsigned set_line[S_COUNT];
	struct policy *p;	/* the new policy, copied over the caller's on success */
	char linebuf[CONFIG_LINE_MAX + 2];
};

_printf_(2, 3) static void parse_error(struct parser *ps, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s:%u: %s", ps->name, ps->line, msg);
	ps->errors++;
}

/* Like inih: the first of chars, or an inline ';' comment preceded by whitespace. */
static const char *find_chars_or_comment(const char *s, const char *chars)
{
	bool was_space = false;

	for (; *s && !strchr(chars, *s) && !(was_space && *s == ';'); s++)
		was_space = *s == ' ' || *s == '\t';
	return s;
}

static bool valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], need;
		unsigned cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0 && c >= 0xc2) {
			need = 1, cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2, cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0 && c <= 0xf4) {
			need = 3, cp = c & 0x07;
		} else {
			return false;
		}
		if (i + need >= n)
			return false;
		for (unsigned k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		i += need + 1;
	}
	return true;
}

static bool known_section(const char *s, size_t n)
{
	return (n == 6 && !strncmp(s, "binder", n)) ||
	       (n == 7 && !strncmp(s, "devices", n)) ||
	       (n == 7 && !strncmp(s, "options", n)) ||
	       (n == 5 && !strncmp(s, "sriov", n)) ||
	       (n == 6 && !strncmp(s, "access", n));
}

/* The ini_reader: one line per call, checked before inih sees it. */
static char *next_line(char *str, int num, void *stream)
{
	struct parser *ps = stream;
	const char *start, *nl, *s;
	size_t n;

	if (ps->pos >= ps->len)
		return NULL;
	start = ps->data + ps->pos;
	nl = memchr(start, '\n', ps->len - ps->pos);
	n = nl ? (size_t)(nl - start) : ps->len - ps->pos;
	ps->pos += n + (nl ? 1 : 0);
	ps->line++;
	str[0] = '\0';

	if (memchr(start, '\0', n)) {
		parse_error(ps, "NUL byte in the line; is this a text file?");
		return str;
	}
	if (!valid_utf8((const unsigned char *)start, n)) {
		parse_error(ps, "not valid UTF-8");
		return str;
	}
	if (ps->line == 1 && n >= 3 && !memcmp(start, "\xef\xbb\xbf", 3))
		start += 3, n -= 3;
	/* Leading blanks would make inih treat the line as a continuation of the previous value. */
	while (n > 0 && (*start == ' ' || *start == '\t'))
		start++, n--;
	if (n > CONFIG_LINE_MAX || (size_t)num < CONFIG_LINE_MAX + 2) {
		parse_error(ps, "line too long (%zu characters, at most %d)", n, CONFIG_LINE_MAX);
		return str;
	}
	memcpy(ps->linebuf, start, n);
	ps->linebuf[n] = '\0';
	s = ps->linebuf;

	if (*s == '\0' || *s == ';' || *s == '#' || *s == '\r')
		goto pass;
	if (*s == '[') {
		const char *end = find_chars_or_comment(s + 1, "]");

		if (*end != ']') {
			parse_error(ps, "section header without ']'");
			return str;
		}
		ps->bad_section = !known_section(s + 1, (size_t)(end - s - 1));
		ps->in_sriov = end - s - 1 == 5 && !strncmp(s + 1, "sriov", 5);
		if (ps->bad_section)
			parse_error(ps, "unknown section [%.*s] (expected [binder], [devices], [options], [sriov] or [access])",
				    (int)(end - s - 1), s + 1);
		goto pass;
	}
	/*
	 * In [sriov] the key is a PCI address ("0000:00:02.0 = 7"), and inih
	 * would split it at its first ':'. The line goes to inih as
	 * "pf = 0000:00:02.0 = 7"; the handler splits the value at its last '='.
	 */
	if (ps->in_sriov && !ps->bad_section) {
		/* an '=' inside an inline comment is no '=': inih strips the comment */
		if (*find_chars_or_comment(s, "=") != '=') {
			parse_error(ps, "expected 'ADDRESS = NUMBER OF VFS' in [sriov], got '%s'", s);
			return str;
		}
		if (n + 5 > CONFIG_LINE_MAX) {
			parse_error(ps, "line too long (%zu characters, at most %d)", n + 5, CONFIG_LINE_MAX - 5);
			return str;
		}
		memmove(ps->linebuf + 5, ps->linebuf, n + 1);
		memcpy(ps->linebuf, "pf = ", 5);
		n += 5;
		goto pass;
	}
	/* inih also splits at ':', which would turn "device 01:00.0" into a key "device 01" */
	if (*find_chars_or_comment(s, "=:") != '=') {
		parse_error(ps, "expected '[section]' or 'key = value', got '%s'", s);
		return str;
	}
pass:
	memcpy(str, ps->linebuf, n + 1);
	return str;
}

static int set_scalar(struct parser *ps, enum scalar k, const char *v)
{
	struct policy *p = ps->p;
	bool b;

	if (ps->set_line[k]) {
		parse_error(ps, "duplicate key '%s' (first set at line %u)", scalar_names[k], ps->set_line[k]);
		return 0;
	}
	ps->set_line[k] = ps->line;

	switch (k) {
	case S_POLICY:
		if (policy_mode_parse(v, &p->mode) < 0)
			parse_error(ps, "unknown policy '%s' (expected list, boot_vga or off)", v);
		return 0;
	case S_DRIVER:
		if (!driver_name_valid(v))
			parse_error(ps, "invalid driver name '%s' (expected a module name: letters, digits, '_' and '-', at most %d)",
				    v, DRIVER_NAME_MAX - 1);
		else
			policy_set_driver(p, v);
		return 0;
	case S_COMPANIONS:
		if (companions_parse(v, &p->companions) < 0)
			parse_error(ps, "unknown companions '%s' (expected slot, audio or none)", v);
		return 0;
	case S_GROUP:
		if (group_mode_parse(v, &p->group) < 0)
			parse_error(ps, "unknown group '%s' (expected check, bind or ignore)", v);
		return 0;
	default:
		break;
	}
	if (bool_parse(v, &b) < 0) {
		parse_error(ps, "invalid value '%s' for %s (expected yes or no)", v, scalar_names[k]);
		return 0;
	}
	if (k == S_UNBIND)
		p->unbind = b;
	else if (k == S_REQUIRE_IOMMU)
		p->require_iommu = b;
	else if (k == S_RETURN_TO_HOST)
		p->return_to_host = b;
	else
		p->load = b;
	return 0;
}

/* device (with its key=value words), exclude and vfs (an address, pinned or not). */
static void add_device(struct parser *ps, struct entry_list *l, const char *key, const char *v)
{
	struct policy_entry e = { .origin = { ps->name, ps->line } };
	unsigned keys = streq(key, "device") ? ENTRY_KEY_DRIVER | ENTRY_KEY_RESET | ENTRY_KEY_RETURN : 0;
	char err[256];

	if (policy_entry_parse(v, key, keys, &e, err, sizeof(err)) < 0) {
		parse_error(ps, "%s", err);
		return;
	}
	if (e.pinned && streq(key, "exclude")) {
		parse_error(ps, "exclude takes an address only: an excluded address stays with the host whatever is there");
		return;
	}
	if (policy_add_entry(l, &e) < 0)
		parse_error(ps, "out of memory");
}

/* [sriov]: "ADDR [@ ID] = N" (arrives as the value of "pf"). */
static void add_sriov(struct parser *ps, const char *v)
{
	struct policy_entry e = { .origin = { ps->name, ps->line } };
	const char *eq = strrchr(v, '='), *num;
	char addr[160], err[256];
	unsigned long n;
	size_t alen;
	char *end;

	/* next_line() let the line through for its '=': inih cannot have taken it away, but never rely on that */
	if (!eq) {
		parse_error(ps, "expected 'ADDRESS = NUMBER OF VFS' in [sriov], got '%s'", v);
		return;
	}
	num = eq + 1 + strspn(eq + 1, " \t");
	alen = (size_t)(eq - v);

	while (alen > 0 && (v[alen - 1] == ' ' || v[alen - 1] == '\t'))
		alen--;
	snprintf(addr, sizeof(addr), "%.*s", (int)alen, v);
	errno = 0;
	n = strtoul(num, &end, 10);
	if (errno || end == num || *end || n > 4096) {
		parse_error(ps, "[sriov] %s: the number of virtual functions must be 0 to 4096, got '%s'", addr, num);
		return;
	}
	if (policy_entry_parse(addr, "[sriov]", 0, &e, err, sizeof(err)) < 0) {
		parse_error(ps, "%s", err);
		return;
	}
	e.vfs = (unsigned)n;
	if (policy_add_entry(&ps->p->sriov, &e) < 0)
		parse_error(ps, "out of memory");
}

/* [access]: a user or group name (the passwd rules: letters, digits, '_', '-', '.'), or a number. */
static void set_access(struct parser *ps, const char *name, const char *v)
{
	struct policy *p = ps->p;
	char **field = streq(name, "owner") ? &p->owner : streq(name, "group") ? &p->group_owner : NULL;

	if (streq(name, "mode")) {
		char *end;
		unsigned long m = strtoul(v, &end, 8);

		if (*end || end == v || m > 0777 || m & 0111) {
			parse_error(ps, "invalid mode '%s' for /dev/vfio/N (octal, read and write bits only, e.g. 0660)", v);
			return;
		}
		p->mode_bits = (unsigned)m;
		return;
	}
	if (!field) {
		parse_error(ps, "unknown key '%s' in [access] (expected owner, group or mode)", name);
		return;
	}
	if (*field) {
		parse_error(ps, "duplicate key '%s' in [access]", name);
		return;
	}
	if (strlen(v) > 32 || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != strlen(v) ||
	    v[0] == '-') {
		parse_error(ps, "invalid %s '%s' (a user or group name, or a number)", name, v);
		return;
	}
	*field = strdup(v);
	if (!*field)
		parse_error(ps, "out of memory");
}

/* preload = MODULE[, MODULE...]: repeatable. */
static void add_preload(struct parser *ps, const char *v)
{
	struct policy *p = ps->p;

	for (const char *s = v; *s;) {
		size_t n = strcspn(s, ", \t");
		char name[DRIVER_NAME_MAX];
		char *m;
		size_t old = p->preload ? strlen(p->preload) : 0;

		if (n == 0) {
			s++;
			continue;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1), s);
		if (n >= sizeof(name) || !driver_name_valid(name)) {
			parse_error(ps, "invalid module name '%.*s' for preload (letters, digits, '_' and '-')", (int)n, s);
			return;
		}
		m = realloc(p->preload, old + n + 2);
		if (!m) {
			parse_error(ps, "out of memory");
			return;
		}
		sprintf(m + old, "%s%s", old ? " " : "", name);
		p->preload = m;
		s += n;
	}
}

static void add_id(struct parser *ps, const char *v)
{
	struct policy_entry e = { .origin = { ps->name, ps->line } };

	if (pci_id_parse(v, &e.id) < 0) {
		parse_error(ps, "invalid vendor:device ID '%s' (expected four hex digits, ':', four hex digits, e.g. 10de:1b81)", v);
		return;
	}
	if (policy_add_entry(&ps->p->ids, &e) < 0)
		parse_error(ps, "out of memory");
}

static bool option_name_valid(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < 64 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

static bool option_value_valid(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '"' || *s == '\'' || *s == '\\' || *s == 0x7f)
			return false;
	return true;
}

/* Module parameters, kept as "k=v k=v" for libkmod; a key given twice is a mistake. */
static void add_option(struct parser *ps, const char *k, const char *v)
{
	struct policy *p = ps->p;
	size_t klen = strlen(k), old = p->options ? strlen(p->options) : 0;
	char *n;

	if (!option_name_valid(k)) {
		parse_error(ps, "invalid module parameter name '%s' (letters, digits, '_' and '-')", k);
		return;
	}
	/*
	 * vfio-pci would claim every device with those IDs, the host's twin
	 * card included, at load time: behind every rule here.
	 */
	if (!strcmp(k, "ids")) {
		parse_error(ps, "ids in [options] would make %s claim every device with those IDs, the host's own card "
			    "included, behind every rule here; list them as id = in [devices]", ps->p->driver);
		return;
	}
	if (!option_value_valid(v)) {
		parse_error(ps, "invalid value '%s' for module parameter '%s' (no spaces, quotes or backslashes)", v, k);
		return;
	}
	for (const char *s = p->options; s && *s;) {
		size_t len = strcspn(s, "=");

		if (len == klen && !strncmp(s, k, klen)) {
			parse_error(ps, "duplicate module parameter '%s'", k);
			return;
		}
		s += strcspn(s, " ");
		s += *s == ' ';
	}
	n = realloc(p->options, old + klen + strlen(v) + 3);
	if (!n) {
		parse_error(ps, "out of memory");
		return;
	}
	sprintf(n + old, "%s%s=%s", old ? " " : "", k, v);
	p->options = n;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parser *ps = user;

	if (ps->bad_section)
		return 1;
	if (!*section) {
		parse_error(ps, "key '%s' outside any section (put it under [binder], [devices], [options], [sriov] or [access])", name);
		return 1;
	}
	if (!*value) {
		parse_error(ps, "empty value for '%s'", name);
		return 1;
	}
	if (streq(section, "binder")) {
		if (streq(name, "preload"))
			return add_preload(ps, value), 1;
		for (enum scalar k = 0; k < S_COUNT; k++)
			if (streq(name, scalar_names[k]))
				return set_scalar(ps, k, value), 1;
		parse_error(ps, "unknown key '%s' in [binder] (expected policy, driver, companions, group, unbind, require_iommu, load, preload or return_to_host)",
			    name);
	} else if (streq(section, "devices")) {
		if (streq(name, "device"))
			add_device(ps, &ps->p->devices, name, value);
		else if (streq(name, "exclude"))
			add_device(ps, &ps->p->excludes, name, value);
		else if (streq(name, "vfs"))
			add_device(ps, &ps->p->vfs, name, value);
		else if (streq(name, "id"))
			add_id(ps, value);
		else
			parse_error(ps, "unknown key '%s' in [devices] (expected device, id, vfs or exclude)", name);
	} else if (streq(section, "sriov")) {
		add_sriov(ps, value);
	} else if (streq(section, "access")) {
		set_access(ps, name, value);
	} else {
		add_option(ps, name, value);
	}
	return 1;
}

int config_parse(struct policy *p, const char *name, const char *data, size_t len)
{
	struct parser ps = { .name = name, .data = data, .len = len };
	struct policy np;
	int r;

	policy_init(&np);
	np.config_file = strdup(name);
	if (!np.config_file)
		return -ENOMEM;
	ps.name = np.config_file;
	ps.p = &np;

	r = ini_parse_stream(next_line, &ps, handler, &ps);
	if (r != 0 && ps.errors == 0) {
		/* Our own checks should have caught everything inih rejects. */
		ps.line = r > 0 ? (unsigned)r : ps.line;
		parse_error(&ps, "syntax error");
	}
	if (ps.errors) {
		policy_free(&np);
		return -EINVAL;
	}
	policy_free(p);
	*p = np;
	return 0;
}

int config_load(struct policy *p, const char *path)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		log_error("%s: cannot open: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) < 0) {
		log_error("%s: cannot stat: %s", path, strerror(errno));
		return -errno;
	}
	if (S_ISDIR(st.st_mode)) {
		log_error("%s: is a directory; give the configuration file itself", path);
		return -EISDIR;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error("%s: not a regular file", path);
		return -EINVAL;
	}
	/*
	 * The file decides what root unbinds and which module root loads with
	 * which parameters: as root, only a file that only root can change.
	 */
	if (geteuid() == 0 && (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))) {
		if (st.st_uid != 0)
			log_error("%s: owned by uid %u, not root, refusing it: its owner could choose what root binds; "
				  "run 'chown root:root %s && chmod 644 %s'", path, (unsigned)st.st_uid, path, path);
		else
			log_error("%s: writable by %s (mode %04o), refusing it: %s could choose what root binds; "
				  "run 'chown root:root %s && chmod 644 %s'", path,
				  st.st_mode & S_IWOTH ? "every user" : "its group", (unsigned)(st.st_mode & 07777),
				  st.st_mode & S_IWOTH ? "anyone" : "any member of the group", path, path);
		return -EPERM;
	}
	if (st.st_size > CONFIG_SIZE_MAX) {
		log_error("%s: too large (%lld bytes, at most %d)", path, (long long)st.st_size, CONFIG_SIZE_MAX);
		return -EFBIG;
	}
	buf = malloc(CONFIG_SIZE_MAX + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, buf + len, CONFIG_SIZE_MAX + 1 - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("%s: cannot read: %s", path, strerror(errno));
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CONFIG_SIZE_MAX) {
			log_error("%s: too large (more than %d bytes)", path, CONFIG_SIZE_MAX);
			return -EFBIG;
		}
	}
	return config_parse(p, path, buf, len);
}

int config_load_all(struct policy *p, const char *path, const char *cmdline_path)
{
	struct policy np;
	int r;

	policy_init(&np);
	r = config_load(&np, path);
	if (r == -ENOENT)
		log_debug("%s: not found; using defaults and the kernel command line", path);
	else if (r < 0)
		return r;
	if (cmdline_path)
		cmdline_load(&np, cmdline_path);
	policy_free(p);
	*p = np;
	return 0;
}
