# SPDX-License-Identifier: GPL-2.0
#
# devmemlab: the entry point.
#   make demo     boot the default topology (pci-bar), run the main workload
#   make check    every test: host unit tests and in-VM tests
#   make stress   ten minutes of dml-stress (STRESS_SECONDS=, STRESS_SEED=)
#   make check-debug  the core in-VM suites on the debug kernel (make debug-kernel)
#   make known-issues the known kernel issues, each alone: XFAIL, XPASS once fixed
#   make patched-kernel PATCH=file  the debug tree + a patch, built (build/patched/)
#   make qemu     the lab's own qemu-system-x86_64 (build/qemu/), which the
#                 accel topologies run on; make check builds it first
#   make bench-accel  the accelerator's link sweep (ACCEL_LINKS= GB/s, default
#                 2 4 8 16 32 64): engine vs CPU migration, docs/results/accel-bench.*
# Both install what they need on a Debian 12 host (via sudo when not root).
#
# Knobs:
#   TOPOLOGY=name     topology for demo/run (default pci-bar)
#   ACCEL=auto|kvm|tcg
#   KERNEL=bzImage MODULES=dir   your own kernel: MODULES holds lib/modules/<kver>
#                     (our module then needs KERNEL_SRC, unless <kver> is Debian's)
#   KERNEL_SRC=tree   your own built kernel tree (bzImage, modules, module build)
#   GUEST=debug       the debug kernel `make debug-kernel` built (DEBUG_VM,
#                     lockdep, KASAN): KERNEL_SRC=build/debug-kernel/src
#   BACKEND=libvirt   demo/bench/p2p through libvirt (LIBVIRT_URI, default
#                     qemu:///system; a local daemon is started if none runs)
#   DEVMEMLAB_MIRROR=URI  Debian archive for host and guest packages (default:
#                     the one the host's apt sources name; scripts/debian-mirror.sh)
# See docs/guest-kernel.md.

include guest-kernel/versions.env

BUILD     := build
ROOT      := $(BUILD)/root
ACCEL     ?= auto
TOPOLOGY  ?= pci-bar
SUDO      := $(if $(filter 0,$(shell id -u)),,sudo)
HOST_CFLAGS := -O2 -g -Wall -Wextra -Werror -std=gnu11

# --- guest kernel: Debian's (default), the debug kernel, a bzImage + modules, or a built tree ---
DEBUG_DIR := $(BUILD)/debug-kernel
# check-debug runs on the debug kernel only
ifneq ($(filter check-debug,$(MAKECMDGOALS)),)
GUEST     := debug
endif
ifeq ($(GUEST),debug)
KERNEL_SRC := $(DEBUG_DIR)/src
KERNEL    := $(DEBUG_DIR)/bzImage
MODULES   := $(DEBUG_DIR)/modules
ifeq ($(wildcard $(DEBUG_DIR)/.stamp),)
ifeq ($(filter debug-kernel,$(MAKECMDGOALS)),)
$(error devmemlab: GUEST=debug: no debug kernel yet: make debug-kernel first (docs/guest-kernel.md))
endif
endif
else ifneq ($(GUEST),)
$(error devmemlab: GUEST=$(GUEST): the only other guest is GUEST=debug)
else ifneq ($(filter cxl-test,$(MAKECMDGOALS)),)
$(error devmemlab: cxl_test runs on the debug kernel: make cxl-test GUEST=debug)
endif
ifneq ($(KERNEL_SRC),)
# what the lab builds for a tree (its modules installed, test_hmm) lives in build/ksrc/ID/
KSRC_OUT  := $(BUILD)/ksrc/$(firstword $(shell echo '$(abspath $(KERNEL_SRC))' | cksum))
KERNEL    ?= $(KERNEL_SRC)/arch/x86/boot/bzImage
MODULES   ?= $(KSRC_OUT)/modules
GUEST_KVER := $(shell cat $(KERNEL_SRC)/include/config/kernel.release 2>/dev/null)
# A KASAN tree (the debug kernel, make ab-demo's copy of it, yours) boots
# with 4-level paging: with QEMU's la57 (-cpu max) 7.3.4's KASAN reports a
# "wild-memory-access" when an interrupt comes while identify_cpu() has
# cleared boot_cpu_data's capabilities (LA57 with them, so KASAN's shadow
# bounds are 4-level for a moment): 2 of ~17 boots (docs/guest-kernel.md)
GUEST_APPEND := $(if $(shell grep -sx CONFIG_KASAN=y $(KERNEL_SRC)/.config),no5lvl)
KERNEL_DEP := $(if $(GUEST),$(DEBUG_DIR)/.stamp,$(if $(filter $(KSRC_OUT)/modules,$(MODULES)),$(MODULES)/.stamp))
# a tree built by another compiler than the host's gcc (make debug-kernel's
# is the build root's gcc-14): its modules are built and installed there too
KSRC_IN_ROOT := $(shell guest-kernel/check-tree.sh --in-root '$(KERNEL_SRC)')
# before anything is built or booted: one line if the tree cannot serve
ifeq ($(GUEST)$(wildcard $(DEBUG_DIR)/.stamp),debug)
else
TREE_PROBLEM := $(shell guest-kernel/check-tree.sh '$(KERNEL_SRC)' \
	'$(if $(filter $(KSRC_OUT)/modules,$(MODULES)),,$(MODULES))')
ifneq ($(TREE_PROBLEM),)
$(error $(TREE_PROBLEM))
endif
endif
else ifneq ($(KERNEL),)
GUEST_KVER := $(notdir $(firstword $(wildcard $(MODULES)/lib/modules/*)))
KERNEL_DEP :=
ifeq ($(GUEST_KVER),)
$(error devmemlab: KERNEL=$(KERNEL) needs MODULES=<dir> holding lib/modules/<kver>; '$(MODULES)' does not)
endif
else
KERNEL    := $(BUILD)/kernel/vmlinuz
MODULES   := $(BUILD)/kernel/modules
GUEST_KVER := $(KVER)
KERNEL_DEP := $(BUILD)/kernel/.stamp
endif

LAUNCHER  := qemu/devmemlab
# the same launcher with AddressSanitizer + UBSan, for tests/unit/asan.sh
LAUNCHER_ASAN := qemu/devmemlab-asan
# the lab's own QEMU (the accel device) and the device's qtest
LAB_QEMU    := $(BUILD)/qemu/qemu-system-x86_64
ACCEL_QTEST := $(BUILD)/accel-qtest
# libFuzzer harness: topology parser + both emitters, for tests/unit/fuzz.sh
FUZZER    := $(BUILD)/fuzz/topology-fuzz
# the guest's verdict tool, for the host: scripts/lava-run.sh judges a LAVA job's console with it
HOST_VERDICT := $(BUILD)/host/dml-verdict
# upstream's test_hmm builds against Debian's headers or the debug tree
# (a tree: its own lib/test_hmm.c and hmm-tests.c)
UPSTREAM  := $(if $(KERNEL_SRC),$(if $(GUEST),$(DEBUG_DIR),$(KSRC_OUT))/upstream,$(BUILD)/upstream)
UPSTREAM_KO := $(if $(or $(KERNEL_SRC),$(filter $(KVER),$(GUEST_KVER))),$(UPSTREAM)/test_hmm.ko)
INITRAMFS := $(BUILD)/initramfs.cpio.zst
MODULE_KO := $(BUILD)/module/devmemlab.ko
LOCKDEP_KO := $(if $(GUEST),$(DEBUG_DIR)/test-modules/dml_lockdep.ko)
# the kernel's cxl_test and ndctl's CXL tests (debug kernel only), an initramfs of their own
CXL_TEST_DIR := $(DEBUG_DIR)/cxl-test
CXL_TEST_INITRD := $(BUILD)/cxl-test.cpio.zst
CXL_TEST_MODS := cxl_acpi cxl_pmem cxl_port cxl_mem cxl_core dax_hmem libnvdimm nd_pmem dax_pmem device_dax kmem
TOOLS_DIR := $(BUILD)/guest-tools
TOOLS     := $(addprefix $(TOOLS_DIR)/,dml-bar dml-realloc dml-bench dml-p2p dml-unplug dml-harden \
		dml-stress dml-engine dml-coherent dml-cxl-region dml-verdict)
RUN       := $(LAUNCHER) run --kernel $(KERNEL) --initrd $(INITRAMFS) --accel $(ACCEL) \
		$(if $(GUEST_APPEND),--append $(GUEST_APPEND))
BACKEND   ?= qemu
LIBVIRT_URI ?= qemu:///system
ifeq ($(BACKEND),libvirt)
RUN       := LIBVIRT_URI=$(LIBVIRT_URI) scripts/libvirt-daemon.sh run $(RUN) --libvirt --connect $(LIBVIRT_URI)
else ifneq ($(BACKEND),qemu)
$(error devmemlab: BACKEND must be qemu or libvirt, not '$(BACKEND)')
endif

.PHONY: ab ab-demo patched-kernel known-issues cxl-test check-debug lava-check all demo bench bench-accel p2p stress check deps kernel debug-kernel buildroot launcher module guest-tools \
	initramfs qemu unit clean distclean FORCE
.DELETE_ON_ERROR:

all: $(LAUNCHER) $(INITRAMFS)

demo: all
	$(RUN) -t $(TOPOLOGY) --timeout 300 --script /lab/demo.sh

# dml-stress for STRESS_SECONDS (default 10 minutes) from STRESS_SEED (default: new, printed)
STRESS_SECONDS ?= 600
stress: all
	$(RUN) -t pci-bar --timeout $$(($(STRESS_SECONDS) + 300)) -- sh /lab/tests/stress.sh \
		$(STRESS_SECONDS) $(or $(STRESS_SEED),-)

# the P2PDMA matrix on pci-switch
p2p: all
	$(RUN) -t pci-switch --timeout 300 --script /lab/p2p.sh

# upstream's benchmark_thp_migration and dml-bench in one boot -> docs/results/bench.*
bench: all
	$(RUN) -t pci-bar --timeout 1800 --script /lab/bench.sh
	@scripts/bench-report.sh results/latest docs/results

# the accelerator: migration through its engine and the CPU, one boot per link bandwidth
ACCEL_LINKS ?= 2 4 8 16 32 64
bench-accel: all $(LAB_QEMU)
	@RUN="$(RUN)" scripts/bench-accel.sh docs/results $(ACCEL_LINKS)

# A/B: the realloc suite and dml-bench on two kernels, interleaved boots, one
# comparison (scripts/ab.sh): A, B = debian, debug or a built tree; ROUNDS=5
ab: $(LAUNCHER)
	@ACCEL=$(ACCEL) scripts/ab.sh '$(A)' '$(B)'

# the same A/B on a one-line change to mm/: the debug tree vs a copy of it
# without the line that clears a re-used page's compound_head (docs/ab.md)
ab-demo: $(LAUNCHER) $(DEBUG_DIR)/.stamp
	@$(SUDO) scripts/patch-tree.sh $(ROOT) $(DEBUG_DIR)/src $(BUILD)/ab-revert \
		guest-kernel/patches/ab-demo-no-compound-head-clear.patch
	@ACCEL=$(ACCEL) OUT=$(or $(OUT),results/ab-demo) scripts/ab.sh debug $(BUILD)/ab-revert/src

# a copy of the debug tree with PATCH applied, built (scripts/patch-tree.sh):
# build/patched/NAME/src, for KERNEL_SRC= (make known-issues, make check) or make ab
PATCHED_DIR := $(BUILD)/patched/$(basename $(notdir $(PATCH)))
ifneq ($(filter patched-kernel,$(MAKECMDGOALS)),)
ifeq ($(PATCH),)
$(error devmemlab: make patched-kernel needs PATCH=<a patch to the kernel tree, applied with -p1>)
else ifeq ($(wildcard $(PATCH)),)
$(error devmemlab: PATCH=$(PATCH): no such file)
endif
endif
patched-kernel: $(DEBUG_DIR)/.stamp
	@$(SUDO) scripts/patch-tree.sh $(ROOT) $(DEBUG_DIR)/src $(PATCHED_DIR) $(PATCH)
	@echo "devmemlab: boot it: make known-issues KERNEL_SRC=$(PATCHED_DIR)/src (or make ab A=debug B=$(PATCHED_DIR)/src)"

# the guest kernel's known issues alone (tests/known-issues.sh): each XFAIL
# turns XPASS on a kernel that fixes it (KERNEL_SRC=, GUEST=debug)
known-issues: all $(LAB_QEMU)
	@KERNEL=$(KERNEL) INITRD=$(INITRAMFS) ACCEL=$(ACCEL) GUEST_APPEND=$(GUEST_APPEND) \
		$(if $(KERNEL_SRC),VM_TIMEOUT=720) tests/run.sh tests/known-issues.sh

print-%:
	@echo '$($*)'

# LAVA=1: the LAVA suite too (installs and starts LAVA: tests/lava-check.sh);
# GUEST=debug: every boot's deadline three times as long (the debug kernel is 2-5x slower)
check: all $(LAUNCHER_ASAN) $(FUZZER) $(LAB_QEMU) $(ACCEL_QTEST) $(HOST_VERDICT)
	@KERNEL=$(KERNEL) INITRD=$(INITRAMFS) ACCEL=$(ACCEL) GUEST=$(GUEST) GUEST_APPEND=$(GUEST_APPEND) LAVA=$(LAVA) \
		$(if $(GUEST),VM_TIMEOUT=720 TIMEOUT_SCALE=3) tests/run.sh

# the suites a patch to mm/ should pass first, on the debug kernel: the
# device-private suite on the BAR and on the accelerator's engine, P2PDMA
# below a switch, upstream hmm-tests, the lockdep proof (tests/debug-suites.sh)
check-debug: all $(LAB_QEMU)
	@KERNEL=$(KERNEL) INITRD=$(INITRAMFS) ACCEL=$(ACCEL) GUEST=debug GUEST_APPEND=$(GUEST_APPEND) \
		tests/run.sh tests/debug-suites.sh

# the kernel's mock CXL topology (tools/testing/cxl) under ndctl's CXL tests,
# on the debug kernel: one boot, KTAP (tests/vm/cxl-test.sh); about 30 min
# under TCG, so a target of its own (docs/results/debug-kernel.md);
# CXL_TESTS="cxl-topology ..." runs only those of ndctl's tests
cxl-test: $(LAUNCHER) $(CXL_TEST_INITRD)
	$(LAUNCHER) run --kernel $(KERNEL) --initrd $(CXL_TEST_INITRD) --accel $(ACCEL) -t pci-bar --timeout 2400 \
		--append "numa=fake=2 $(GUEST_APPEND)" -- sh /lab/tests/cxl-test.sh $(CXL_TESTS)

# the pci-bar device-private and pci-switch P2PDMA suites, a deliberate WARN
# and a panic as LAVA jobs on the lab's own LAVA (scripts/lava-lab.sh, started
# and stopped here if nothing runs), each against the same boot under plain
# QEMU (tests/lava-check.sh, docs/lava.md)
lava-check: all $(HOST_VERDICT)
	@KERNEL=$(KERNEL) INITRD=$(INITRAMFS) LAVA=1 tests/run.sh tests/lava-check.sh

unit: $(LAUNCHER) $(LAUNCHER_ASAN) $(FUZZER) $(LAB_QEMU) $(ACCEL_QTEST)
	@tests/run.sh --unit

# --- host side ---
deps: $(BUILD)/.deps-stamp
$(BUILD)/.deps-stamp: scripts/host-deps.sh
	@mkdir -p $(BUILD)
	@scripts/host-deps.sh
	@touch $@

launcher: $(LAUNCHER)
LAUNCHER_SRC := $(wildcard qemu/*.c)
$(LAUNCHER): $(LAUNCHER_SRC) $(wildcard qemu/*.h) | $(BUILD)/.deps-stamp
	$(CC) $(HOST_CFLAGS) $$(pkg-config --cflags json-c libvirt) -o $@ $(LAUNCHER_SRC) \
		$$(pkg-config --libs json-c libvirt)
# Every sanitizer finding is fatal. clang, whose UBSan (unlike gcc's) writes
# its reports to UBSAN_OPTIONS=log_path, where tests/unit/asan.sh looks;
# warnings are the gcc build's job (-Werror there).
SANITIZE  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
$(LAUNCHER_ASAN): $(LAUNCHER_SRC) $(wildcard qemu/*.h) | $(BUILD)/.deps-stamp
	clang $(filter-out -Werror,$(HOST_CFLAGS)) $(SANITIZE) $$(pkg-config --cflags json-c libvirt) \
		-o $@ $(LAUNCHER_SRC) $$(pkg-config --libs json-c libvirt)
$(HOST_VERDICT): guest-tools/dml-verdict.c qemu/verdict.c qemu/verdict.h
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Iqemu -o $@ guest-tools/dml-verdict.c qemu/verdict.c
FUZZ_SRC  := tests/fuzz/topology-fuzz.c qemu/topology.c qemu/qemu_argv.c qemu/libvirt_xml.c
$(FUZZER): $(FUZZ_SRC) $(wildcard qemu/*.h) | $(BUILD)/.deps-stamp
	@mkdir -p $(@D)
	clang $(filter-out -Werror,$(HOST_CFLAGS)) -fsanitize=fuzzer $(SANITIZE) $$(pkg-config --cflags json-c) \
		-o $@ $(FUZZ_SRC) $$(pkg-config --libs json-c)

# The lab's own QEMU: Debian's source + the accelerator device (qemu/device/).
# Topologies with an accel device run on it (docs/launcher.md).
qemu: $(LAB_QEMU)
$(LAB_QEMU): qemu/build-qemu.sh $(wildcard qemu/device/*) guest-kernel/versions.env \
		guest-kernel/apt-private.sh | $(BUILD)/.deps-stamp
	@qemu/build-qemu.sh $(BUILD)/qemu
	@touch $@

# the device's qtest (tests/unit/accel-qtest.sh runs it against $(LAB_QEMU))
$(ACCEL_QTEST): tests/unit/accel-qtest.c | $(BUILD)/.deps-stamp
	$(CC) $(HOST_CFLAGS) -o $@ $<

# --- guest side ---
buildroot: $(ROOT)/.devmemlab-stamp
$(ROOT)/.devmemlab-stamp: guest-kernel/buildroot.sh guest-kernel/versions.env | $(BUILD)/.deps-stamp
	@$(SUDO) $(if $(DEVMEMLAB_MIRROR),env DEVMEMLAB_MIRROR='$(DEVMEMLAB_MIRROR)') guest-kernel/buildroot.sh $(ROOT)

# Debian's linux-source: checkpatch for tests/unit/style.sh, upstream test_hmm
$(BUILD)/linux-source/.stamp: guest-kernel/fetch-source.sh guest-kernel/versions.env | $(BUILD)/.deps-stamp
	@guest-kernel/fetch-source.sh $(BUILD)/linux-source

# the kernel's test_hmm.ko and hmm-tests, for side-by-side runs (Debian's kernel, or a tree's own)
$(UPSTREAM)/test_hmm.ko: guest-kernel/build-upstream.sh $(BUILD)/linux-source/.stamp \
		$(ROOT)/.devmemlab-stamp $(if $(KERNEL_SRC),$(KERNEL_DEP) $(KERNEL_SRC)/Module.symvers)
	@$(SUDO) guest-kernel/build-upstream.sh $(ROOT) $(or $(KERNEL_SRC),$(BUILD)/linux-source) $(UPSTREAM) \
		$(if $(KERNEL_SRC),$(KERNEL_SRC) $(if $(KSRC_IN_ROOT),,host))

kernel: $(KERNEL_DEP)
$(BUILD)/kernel/.stamp: guest-kernel/fetch-kernel.sh guest-kernel/versions.env | $(BUILD)/.deps-stamp
	@guest-kernel/fetch-kernel.sh $(BUILD)/kernel

# The debug kernel: Debian's whole linux-source-7.3, built in the build root
# (guest-kernel/build-debug.sh). `make debug-kernel` always runs make in the
# tree (incremental, ccache), so an edit there is picked up; GUEST=debug
# rebuilds it only when the config fragments or scripts change.
DEBUG_BUILD = @$(SUDO) guest-kernel/build-debug.sh $(ROOT) $(DEBUG_DIR)/src $(DEBUG_DIR)
DEBUG_DEPS := $(DEBUG_DIR)/src/.stamp $(ROOT)/.devmemlab-kbuild-stamp
debug-kernel: $(DEBUG_DEPS)
	$(DEBUG_BUILD)
$(DEBUG_DIR)/.stamp: guest-kernel/build-debug.sh guest-kernel/check-config.sh guest-kernel/lab.config \
		guest-kernel/debug.config $(DEBUG_DEPS)
	$(DEBUG_BUILD)
$(DEBUG_DIR)/src/.stamp: guest-kernel/fetch-source.sh guest-kernel/versions.env | $(BUILD)/.deps-stamp
	@guest-kernel/fetch-source.sh --tree $(DEBUG_DIR)/src
$(ROOT)/.devmemlab-kbuild-stamp: guest-kernel/buildroot.sh $(ROOT)/.devmemlab-stamp
	@$(SUDO) guest-kernel/buildroot.sh --kbuild $(ROOT)

# cxl_test's modules (they replace the tree's CXL modules, so only in an
# initramfs of their own) and ndctl's CXL tests
$(CXL_TEST_DIR)/.stamp: guest-kernel/build-cxl-test.sh $(DEBUG_DIR)/.stamp $(ROOT)/.devmemlab-stamp
	@$(SUDO) guest-kernel/build-cxl-test.sh $(ROOT) $(DEBUG_DIR)/src $(CXL_TEST_DIR)
	@touch $@
$(CXL_TEST_INITRD): $(CXL_TEST_DIR)/.stamp $(INITRAMFS)
	@guest-tools/mkinitramfs.sh $@ $(ROOT) $(MODULES) $(GUEST_KVER) "$$($(LAUNCHER) modules) $(CXL_TEST_MODS)" \
		"$(CXL_TEST_DIR)/ko" "$(TOOLS_DIR)" "$(CXL_TEST_DIR)/ndctl-test:ndctl-test"

# A built tree: install its modules into build/ksrc/ID/modules (in the build
# root when its compiler is the root's), without the links back to the tree
KSRC_MAKE = $(if $(KSRC_IN_ROOT),$(SUDO) guest-kernel/in-root.sh $(ROOT) make -s -C \
	$$(guest-kernel/in-root.sh --path $(KERNEL_SRC)),$(MAKE) -s -C $(KERNEL_SRC))
$(KSRC_OUT)/modules/.stamp: $(KERNEL_SRC)/include/config/kernel.release $(KERNEL_SRC)/Module.symvers $(KERNEL)
	@echo "devmemlab: modules_install from $(KERNEL_SRC) ($(GUEST_KVER)) into $(@D)"
	@rm -rf $(@D) && mkdir -p $(@D)
	@$(KSRC_MAKE) modules_install INSTALL_MOD_STRIP=1 \
		INSTALL_MOD_PATH=$(if $(KSRC_IN_ROOT),$$(guest-kernel/in-root.sh --path $(@D)),$(abspath $(@D)))
	@rm -f $(@D)/lib/modules/$(GUEST_KVER)/build $(@D)/lib/modules/$(GUEST_KVER)/source
	@touch $@

MODULE_SRC := $(wildcard guest-kernel/module/*.[ch]) guest-kernel/module/Kbuild
module: $(MODULE_KO)
ifneq ($(or $(GUEST),$(KSRC_IN_ROOT)),)
# a tree built in the build root (the debug kernel, make ab's copies), with its gcc-14
KSRC_KMOD = @$(KSRC_MAKE) M=/src/$(1) MO=/src/$(2) W=1 modules
$(MODULE_KO): $(MODULE_SRC) $(ROOT)/.devmemlab-stamp $(BUILD)/inputs $(KERNEL_DEP)
	$(call KSRC_KMOD,guest-kernel/module,$(BUILD)/module)
# a deliberate lock inversion: a lockdep report must fail the boot (tests/vm.sh)
$(LOCKDEP_KO): tests/modules/dml_lockdep.c tests/modules/Kbuild $(ROOT)/.devmemlab-stamp $(KERNEL_DEP)
	$(call KSRC_KMOD,tests/modules,$(@D))
else ifneq ($(KERNEL_SRC),)
# your tree, your compiler
$(MODULE_KO): $(MODULE_SRC) $(BUILD)/inputs $(KERNEL_DEP)
	$(MAKE) -C $(KERNEL_SRC) M=$(CURDIR)/guest-kernel/module MO=$(CURDIR)/$(BUILD)/module W=1 modules
else ifeq ($(GUEST_KVER),$(KVER))
# Debian's headers and gcc-14, in the trixie build root: the exact vermagic
$(MODULE_KO): $(MODULE_SRC) $(ROOT)/.devmemlab-stamp $(BUILD)/inputs
	@$(SUDO) guest-kernel/in-root.sh $(ROOT) make -s -C /lib/modules/$(GUEST_KVER)/build \
		M=/src/guest-kernel/module MO=/src/$(BUILD)/module W=1 modules
else
$(MODULE_KO): FORCE
	@echo "devmemlab: kernel $(GUEST_KVER) is not Debian's $(KVER): set KERNEL_SRC=<built tree> to build the module" >&2
	@exit 1
endif

# What the initramfs and module were built for; rewritten only when it changes
$(BUILD)/inputs: FORCE
	@mkdir -p $(BUILD)
	@echo "$(abspath $(KERNEL)) $(abspath $(MODULES)) $(GUEST_KVER) $(KERNEL_SRC)" | cmp -s - $@ || \
		echo "$(abspath $(KERNEL)) $(abspath $(MODULES)) $(GUEST_KVER) $(KERNEL_SRC)" > $@

guest-tools: $(TOOLS)
$(TOOLS): $(wildcard guest-tools/*.c guest-tools/*.h) guest-kernel/module/devmemlab_uapi.h guest-tools/Makefile \
		qemu/verdict.c qemu/verdict.h \
		$(ROOT)/.devmemlab-stamp $(BUILD)/linux-source/.stamp
	@$(SUDO) guest-kernel/in-root.sh $(ROOT) make -s -C /src/guest-tools O=/src/$(TOOLS_DIR)

initramfs: $(INITRAMFS)
$(INITRAMFS): guest-tools/mkinitramfs.sh guest-tools/init $(wildcard guest-tools/lab/*.sh) \
		$(wildcard tests/vm/*.sh) $(TOOLS) $(MODULE_KO) $(LOCKDEP_KO) $(KERNEL_DEP) $(LAUNCHER) \
		$(ROOT)/.devmemlab-stamp $(BUILD)/inputs $(UPSTREAM_KO) $(BUILD)/linux-source/.stamp
	@test -n "$(GUEST_KVER)" || { echo "devmemlab: cannot tell the kernel version of MODULES=$(MODULES)" >&2; exit 1; }
	@guest-tools/mkinitramfs.sh $@ $(ROOT) $(MODULES) $(GUEST_KVER) \
		"$$($(LAUNCHER) modules)" "$(BUILD)/module $(if $(UPSTREAM_KO),$(UPSTREAM)) $(dir $(LOCKDEP_KO))" \
		"$(TOOLS_DIR) $(if $(UPSTREAM_KO),$(UPSTREAM))"

clean:
	rm -rf $(BUILD)/module $(BUILD)/guest-tools $(INITRAMFS) $(LAUNCHER) $(LAUNCHER_ASAN) $(BUILD)/fuzz $(BUILD)/inputs $(ACCEL_QTEST) \
		$(BUILD)/test-logs

distclean: clean
	$(SUDO) rm -rf $(BUILD) results
