/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "policy.h"

/* inih reads lines into a 200-byte buffer; longer lines would be split silently. */
#define CONFIG_LINE_MAX 198
#define CONFIG_SIZE_MAX 65536	/* 64 KiB */

/*
 * Reads /etc/vfio.conf into p. Returns 0, -ENOENT when the file does not
 * exist (which is not an error: nothing configured), or another negative
 * errno after logging every problem with file and line. On error p is left
 * as it was, so a caller can keep an older policy.
 */
int config_load(struct policy *p, const char *path);
/* The same on a buffer already in memory; name is used in messages. */
int config_parse(struct policy *p, const char *name, const char *data, size_t len);

/*
 * The whole policy: the file (a missing one is fine), then the vfio_binder.*
 * parameters of cmdline_path (NULL: none). Returns < 0 only for a bad file,
 * leaving p as it was, so a daemon can keep its old policy.
 */
int config_load_all(struct policy *p, const char *path, const char *cmdline_path);
