/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakesys.h"
#include "log.h"
#include "pci.h"

/* Messages of the code under test, captured instead of printed. */
static char *captured;
static size_t captured_size;
static FILE *capture_stream;

static inline void capture_start(void)
{
	/* The previous capture's buffer: without CK_FORK the leak checkers see it. */
	free(captured);
	captured = NULL;
	capture_stream = open_memstream(&captured, &captured_size);
	log_set_stream(capture_stream);
	log_set_max_level(LOG_DEBUG);
}

/* Returns everything logged since capture_start(); valid until the next capture_start(). */
static inline const char *capture_end(void)
{
	log_set_stream(NULL);
	fclose(capture_stream);
	capture_stream = NULL;
	return captured;
}

#define ck_assert_contains(haystack, needle) \
	ck_assert_msg(strstr((haystack), (needle)) != NULL, "expected '%s' in:\n%s", (needle), (haystack))
#define ck_assert_not_contains(haystack, needle) \
	ck_assert_msg(strstr((haystack), (needle)) == NULL, "did not expect '%s' in:\n%s", (needle), (haystack))

static inline char *topology_path(const char *name)
{
	char *p;

	ck_assert_int_ge(asprintf(&p, "%s/tests/topologies/%s.txt", TOPDIR, name), 0);
	return p;
}

static inline int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
