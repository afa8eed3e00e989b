/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DEVMEMLAB_RESULTS_H
#define DEVMEMLAB_RESULTS_H

/*
 * A result file name the launcher saves: letters, digits, '.', '_', '-',
 * not starting with '.', and none of the launcher's own files.
 */
int results_name_ok(const char *name);

/*
 * Unpack DIR/results.stream (the results channel, framed by the guest's
 * /init: "file NAME SIZE\n" then SIZE bytes, per file; "end\n") into DIR.
 * A complete stream is removed; a damaged one is kept, with one line on
 * stderr saying what is wrong. Returns the number of files saved, or -1.
 */
int results_unpack(const char *dir);

#endif
