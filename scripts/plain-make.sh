#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make in this checkout as a user types it: without the caller's make
# variables (MAKEFLAGS of `make ab A=... B=...`, `make check GUEST=debug`) and
# without the kernel make check hands its suites in the environment (KERNEL,
# INITRD, MODULES, KERNEL_SRC, GUEST, GUEST_APPEND). scripts/ab.sh and
# tests/unit/kernel-src.sh select their kernels with explicit arguments only.
#   plain-make.sh MAKE-ARGS...
exec env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u KERNEL -u INITRD -u MODULES -u KERNEL_SRC \
	-u GUEST -u GUEST_APPEND make -s --no-print-directory -C "$(dirname "$0")/.." "$@"
