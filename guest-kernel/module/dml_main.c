// SPDX-License-Identifier: GPL-2.0
/*
 * devmemlab: device memory as ZONE_DEVICE pages.
 *
 * Placeholder of the lab foundation: proves that an out-of-tree module
 * built in the trixie build root against Debian's headers loads into
 * Debian's kernel. The device-private driver replaces it.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/utsname.h>

static int __init dml_init(void)
{
	pr_info("devmemlab: loaded into %s\n", init_utsname()->release);
	return 0;
}

static void __exit dml_exit(void)
{
	pr_info("devmemlab: unloaded\n");
}

module_init(dml_init);
module_exit(dml_exit);
MODULE_DESCRIPTION("devmemlab: device memory as ZONE_DEVICE pages (placeholder)");
MODULE_LICENSE("GPL");
