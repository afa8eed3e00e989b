// SPDX-License-Identifier: GPL-2.0
/*
 * dml_lockdep: a deliberate AB-BA lock inversion, the debug kernel's proof
 * that a lockdep report fails the boot (tests/vm.sh, GUEST=debug). Loading
 * it takes A then B, then B then A, in one thread: it never deadlocks, but
 * with PROVE_LOCKING the second order is "possible circular locking
 * dependency detected". Never loaded by anything else.
 */
#include <linux/module.h>
#include <linux/mutex.h>

static DEFINE_MUTEX(dml_lock_a);
static DEFINE_MUTEX(dml_lock_b);

static int __init dml_lockdep_init(void)
{
	mutex_lock(&dml_lock_a);
	mutex_lock(&dml_lock_b);
	mutex_unlock(&dml_lock_b);
	mutex_unlock(&dml_lock_a);

	mutex_lock(&dml_lock_b);
	mutex_lock(&dml_lock_a);
	mutex_unlock(&dml_lock_a);
	mutex_unlock(&dml_lock_b);
	pr_info("dml_lockdep: took A then B, then B then A\n");
	return 0;
}

static void __exit dml_lockdep_exit(void)
{
}

module_init(dml_lockdep_init);
module_exit(dml_lockdep_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("devmemlab: a deliberate lock inversion for lockdep");
