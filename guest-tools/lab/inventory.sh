#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Default workload: print the device-memory inventory the guest sees.
. /lab/lib.sh
inventory
