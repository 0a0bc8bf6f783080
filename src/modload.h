/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Loads a driver module the way "modprobe -i" would: dependencies resolved,
 * modprobe.d options merged with ours, install commands ignored, so that a
 * modprobe.d line "install vfio-pci vfio-binder bind" cannot recurse. A
 * module that is built in or already loaded is success.
 */
#define MODLOAD_IGNORE_INSTALL 0x1	/* modprobe -i: never run install commands */
/*
 * module is a device's modalias ("pci:v000010DEd..."): load what modprobe
 * would for it, the blacklist applied as modprobe applies it to aliases.
 * No module for it, or only blacklisted ones, returns 1 (nothing loaded),
 * which is not an error: the device stays without a driver.
 */
#define MODLOAD_ALIAS 0x2

int modload(void *userdata, const char *module, const char *options, unsigned flags);

/* The one seam between applying a plan and libkmod; tests pass their own. */
typedef int (*modload_fn)(void *userdata, const char *module, const char *options, unsigned flags);

/*
 * The stand-in for a sysfs tree that is not the running kernel's (a test
 * tree): that kernel's modules have nothing to do with it. Logs, loads
 * nothing, and returns 1 ("not loaded"); userdata is the tree's path.
 */
int modload_none(void *userdata, const char *module, const char *options, unsigned flags);
