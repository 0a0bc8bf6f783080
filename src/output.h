/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "pci.h"
#include "select.h"

/* A string as a JSON string literal, quotes included. */
void json_string(FILE *f, const char *s);
const char *log_level_name(int prio);
/* The plan as `vfio-binder plan` prints it; the JSON form is a stable interface. */
void plan_print(FILE *f, const struct pci_table *t, const struct plan *plan);
/* writes: bind --dry-run's would-be writes, one a line, added as "writes"; NULL for plan. */
void plan_print_json(FILE *f, const struct pci_table *t, const struct plan *plan, const char *writes);
