/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "macro.h"

enum log_target {
	LOG_TARGET_AUTO,	/* kmsg when acting on the real /sys, plus stderr if a terminal */
	LOG_TARGET_STDERR,
	LOG_TARGET_KMSG,
};

int log_parse_target(const char *s, enum log_target *ret);
/* real_sysfs: whether the binder acts on the running kernel; auto logs to kmsg only then. */
void log_open(enum log_target target, int real_sysfs);
void log_close(void);
/*
 * Messages go to stderr too, whatever log_open decided: reserve and
 * release run from scripts and hooks, whose caller reads stderr.
 */
void log_also_stderr(void);
void log_set_max_level(int level);
int log_get_max_level(void);
/* Tests capture messages here instead of stderr; NULL restores stderr. */
void log_set_stream(FILE *f);

void log_fullv(int prio, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void log_full(int prio, const char *fmt, ...) _printf_(2, 3);

#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
