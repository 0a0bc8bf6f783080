/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

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
