// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One logger for the whole program. In the initramfs there is often no
 * terminal, so messages go to /dev/kmsg with kernel priorities, where they
 * land in dmesg and the journal; stderr gets them when someone is watching.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/*
 * /dev/kmsg lets each open file write 10 records per 5 seconds and drops
 * the rest while write() still succeeds ("N output lines suppressed due to
 * ratelimiting"): the last lines, the summary and the errors, would be the
 * ones lost. A new open starts a new count.
 */
#define KMSG_BURST 10
/* The kernel refuses a longer record (EINVAL): a long message goes in pieces. */
#define KMSG_RECORD_MAX 976

static int max_level = LOG_INFO;
static int kmsg_fd = -1;
static unsigned kmsg_records;
static int to_stderr = 1;
static FILE *stream;

int log_parse_target(const char *s, enum log_target *ret)
{
	if (streq(s, "auto"))
		*ret = LOG_TARGET_AUTO;
	else if (streq(s, "stderr"))
		*ret = LOG_TARGET_STDERR;
	else if (streq(s, "kmsg"))
		*ret = LOG_TARGET_KMSG;
	else
		return -EINVAL;
	return 0;
}

void log_open(enum log_target target, int real_sysfs)
{
	log_close();
	to_stderr = 1;
	if (target == LOG_TARGET_STDERR)
		return;
	/* A test on a fake tree must not fill the host's kernel log. */
	if (target == LOG_TARGET_AUTO && !real_sysfs)
		return;
	kmsg_fd = open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	kmsg_records = 0;
	if (kmsg_fd < 0) {
		if (target == LOG_TARGET_KMSG)
			log_warning("cannot open /dev/kmsg: %s; logging to stderr", strerror(errno));
		return;
	}
	to_stderr = target == LOG_TARGET_AUTO && isatty(STDERR_FILENO);
}

void log_close(void)
{
	if (kmsg_fd >= 0)
		close(kmsg_fd);
	kmsg_fd = -1;
	to_stderr = 1;
}

void log_also_stderr(void)
{
	to_stderr = 1;
}

void log_set_max_level(int level)
{
	max_level = level;
}

int log_get_max_level(void)
{
	return max_level;
}

void log_set_stream(FILE *f)
{
	stream = f;
}

/* One record: a new open file every KMSG_BURST records, so none is dropped. */
static void kmsg_record(int prio, const char *text, size_t len)
{
	char rec[KMSG_RECORD_MAX + 1];
	int m;

	if (kmsg_records && kmsg_records % KMSG_BURST == 0) {
		int fd = open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC);

		if (fd >= 0) {
			/* dup2 keeps the number: a caller that closes fds around us is not surprised */
			dup2(fd, kmsg_fd);
			close(fd);
		}
	}
	kmsg_records++;
	m = snprintf(rec, sizeof(rec), "<%d>vfio-binder: %.*s\n", prio, (int)len, text);
	/*
	 * One write() per record, never dprintf(): glibc's dprintf() first
	 * lseek()s the fd, /dev/kmsg answers EINVAL, and nothing is written.
	 */
	if (m > 0 && write(kmsg_fd, rec, (size_t)m < sizeof(rec) ? (size_t)m : sizeof(rec) - 1) < 0)
		to_stderr = 1;
}

void log_fullv(int prio, const char *fmt, va_list ap)
{
	char buf[4096];
	int saved = errno;
	size_t len;
	int n;

	prio &= LOG_PRIMASK;
	if (prio > max_level)
		return;
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		goto out;
	len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
	/* libkmod and strerror hand us lines that already end in a newline */
	while (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';

	if (kmsg_fd >= 0) {
		/* "<N>vfio-binder: " and the newline take their share of each record */
		const size_t piece = KMSG_RECORD_MAX - 24;

		for (size_t off = 0; off < len || off == 0; off += piece) {
			kmsg_record(prio, buf + off, len - off < piece ? len - off : piece);
			if (len == 0)
				break;
		}
	}
	if (to_stderr || kmsg_fd < 0)
		fprintf(stream ? stream : stderr, "vfio-binder: %s\n", buf);
out:
	errno = saved;
}

void log_full(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_fullv(prio, fmt, ap);
	va_end(ap);
}
