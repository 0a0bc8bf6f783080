/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Fake sysfs trees built from the compact topology descriptions in
 * tests/topologies/ (one PCI function a line: GROUP ADDRESS CLASS
 * VENDOR:DEVICE BOOT_VGA [parent=ADDR] NAME), shaped like the real one:
 * bus/pci/devices links into devices/pci0000:00/, nested below the parent
 * bridge when the line names one, iommu_group links, kernel/iommu_groups,
 * and each function's modalias (subsystem IDs 0).
 * Lines starting with '@' change the tree for a test:
 *   @driver ADDR NAME      ADDR is bound to NAME
 *   @override ADDR VALUE   driver_override already holds VALUE
 *   @no-override ADDR      no driver_override file (kernel before 3.16)
 *   @attr ADDR NAME VALUE  the attribute NAME holds VALUE
 *   @rm ADDR NAME          no attribute (or link) NAME
 *   @physfn VF PF          VF is a virtual function of PF (physfn and virtfnN links)
 * In-memory tables (fakesys_table) also take @variant ADDR MODULE (driver =
 * auto found that variant driver) and @attr ADDR subsystem VVVV:DDDD.
 *   @class ADDR SUBPATH CLASS [KEY=VALUE...]
 *                          a class device ADDR/SUBPATH ("-" for ADDR: below
 *                          devices/virtual) linked from class/CLASS/, with
 *                          those attributes; dev=MAJ:MIN and devname=NAME
 *                          make its uevent (drm/card0, sound/card1/pcmC1D3p,
 *                          net/eth0 flags=0x1003, vtconsole/vtcon1 bind=1)
 * Every test builds its own copy, because bind writes into it.
 */

/* Builds the tree described by the text (not a file name) in dir, which must exist. */
int fakesys_build_text(const char *text, const char *dir);
int fakesys_build_file(const char *topology, const char *dir);
/* A new tree in a fresh temporary directory; returns the malloc'd path or NULL. */
char *fakesys_new(const char *topology_file);
char *fakesys_new_text(const char *text);
void fakesys_remove(char *dir);
/* Every path, link target and file content of the tree, in order: compare two to see a change. */
char *fakesys_snapshot(const char *dir);
/* The contents of a file below dir, newline stripped; malloc'd, NULL if missing. */
char *fakesys_read(const char *dir, const char *rel);

struct pci_table;
/* The same description as an in-memory table, every detail filled: selection tests need no files. */
int fakesys_table(const char *text, struct pci_table *t);
