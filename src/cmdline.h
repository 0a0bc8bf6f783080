/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "policy.h"

#define CMDLINE_SIZE_MAX 65536	/* 64 KiB */

/*
 * Applies vfio_binder.* parameters on top of p. The boot must go on, so a
 * bad value is reported and ignored, never fatal; returns the number of
 * values ignored (0 when all were good).
 */
int cmdline_apply(struct policy *p, const char *cmdline);
/* Reads path (normally /proc/cmdline) and applies it; < 0 when unreadable. */
int cmdline_load(struct policy *p, const char *path);
/*
 * Every parameter of a command line up to "--", split as the kernel does:
 * fn gets the name and the value (NULL without '='). A non-zero return
 * from fn stops the walk and is returned.
 */
typedef int (*cmdline_fn)(const char *param, const char *val, void *userdata);
int cmdline_foreach(const char *cmdline, cmdline_fn fn, void *userdata);
/* Names equal as the kernel compares them: '-' and '_' are the same. */
bool cmdline_parameq(const char *a, const char *b);
