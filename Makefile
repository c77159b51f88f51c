# coop — top-level build.  `make help` lists the targets.
#
# One image is built: esp/EFI/BOOT/BOOTX64.EFI holds the loader (efi/) and the
# kernel (kernel/ hal/ mm/ sched/) together.  Portable code (see Sources) is
# also compiled for the host, where it is unit-tested under ASan and UBSan,
# fuzzed, and benchmarked.
#
# Quiet by default: one line per step.  `make V=1` prints full commands.

V ?= 0
ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-7s %s\n' '$(1)' '$(2)'
endif

.DEFAULT_GOAL := all
NPROC := $(shell nproc 2>/dev/null || echo 2)
.DELETE_ON_ERROR:
.SUFFIXES:

B        := build
ESP_BOOT := esp/EFI/BOOT
EFI_IMG  := $(ESP_BOOT)/BOOTX64.EFI
EFI_ELF  := $(ESP_BOOT)/coop.elf
PYTHON   ?= python3
CC       := gcc
LD       := ld
OBJCOPY  := objcopy
CLANG    ?= clang

COOP_VERSION := 0.1.0
COOP_BUILD   := $(shell git describe --always --dirty 2>/dev/null || echo nogit)

# ---------------------------------------------------------------------------
# Dependencies: scripts/deps.sh installs Debian packages when they are missing.
DEPS_STAMP := $(B)/.deps-ok
$(DEPS_STAMP): scripts/deps.sh
	$(call msg,DEPS,checking build and run dependencies)
	$(Q)scripts/deps.sh
	$(Q)mkdir -p $(B) && touch $@

deps: $(DEPS_STAMP)

# ---------------------------------------------------------------------------
# Sources.
GNUEFI_LIB := /usr/lib
GNUEFI_INC := /usr/include/efi

# Sources are found per folder: a new file needs no Makefile edit.
# scripts/layers.py says which of them are portable (they reach the CPU only
# through hal/hal.h); those also build for the host, into an archive that the
# host tests, fuzzers and benchmarks link against.  Host stand-ins
# (test/host/) come first on those link lines, so they take the place of the
# kernel's own versions (kmalloc) without a list of exceptions.
find_srcs = $(sort $(shell find $(1) -name '*.c' -o -name '*.S'))
KERNEL_DIRS := kernel hal mm sched test/ktest test/unit test/kernel
EFI_SRCS    := $(call find_srcs,efi)
KERNEL_SRCS := $(call find_srcs,$(KERNEL_DIRS))
PORTABLE_SRCS := $(shell $(PYTHON) scripts/layers.py --portable) test/ktest/ktest.c

# ---------------------------------------------------------------------------
# Kernel/EFI compilation flags.  -fpic because the image is relocated at load
# time by gnu-efi's _relocate; -mgeneral-regs-only so interrupt handlers never
# need to save SSE state; frame pointers for backtraces.
WARN     := -Wall -Wextra -Werror
K_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-stack-protector \
            -fpic -fvisibility=hidden -fshort-wchar -mno-red-zone \
            -maccumulate-outgoing-args -mgeneral-regs-only -fno-omit-frame-pointer \
            -fno-strict-aliasing -fno-builtin -fno-tree-loop-distribute-patterns \
            -fno-asynchronous-unwind-tables \
            -I. -I$(B)/gen -DCOOP_KERNEL \
            -DCOOP_VERSION='"$(COOP_VERSION)"'
EFI_CFLAGS := $(K_CFLAGS) -I$(GNUEFI_INC) -I$(GNUEFI_INC)/x86_64 -DGNU_EFI_USE_MS_ABI -DGNU_EFI_USE_EXTERNAL_STDARG
K_ASFLAGS  := -g -I. -DCOOP_KERNEL -D__ASSEMBLY__

K_OBJS   := $(patsubst %,$(B)/k/%.o,$(KERNEL_SRCS)) $(B)/k/gen/build_info.c.o \
            $(B)/k/gen/fonts.c.o $(B)/k/gen/isr_vectors.S.o $(B)/k/gen/acpi_images.c.o
EFI_OBJS := $(patsubst %,$(B)/k/%.o,$(EFI_SRCS))
ALL_K_OBJS := $(EFI_OBJS) $(K_OBJS)

# A flags change rebuilds everything; nothing else does.
FLAGS_STAMP := $(B)/gen/flags.$(shell echo '$(K_CFLAGS) $(EFI_CFLAGS)' | md5sum | cut -c1-12)
$(FLAGS_STAMP): | $(DEPS_STAMP)
	$(Q)mkdir -p $(@D) && rm -f $(B)/gen/flags.* && touch $@

$(B)/k/efi/%.c.o: efi/%.c $(FLAGS_STAMP)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D) && $(CC) $(EFI_CFLAGS) -MMD -MP -c $< -o $@

$(B)/k/%.c.o: %.c $(FLAGS_STAMP)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D) && $(CC) $(K_CFLAGS) -MMD -MP -c $< -o $@

$(B)/k/%.S.o: %.S $(FLAGS_STAMP)
	$(call msg,AS,$<)
	$(Q)mkdir -p $(@D) && $(CC) $(K_ASFLAGS) -MMD -MP -c $< -o $@

$(B)/k/gen/%.c.o: $(B)/gen/%.c $(FLAGS_STAMP)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D) && $(CC) $(K_CFLAGS) -c $< -o $@

# ISR entry stubs are generated, not typed out 256 times.
$(B)/gen/isr_vectors.S: scripts/gen-isr-stubs.py
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D) && $(PYTHON) $< > $@
$(B)/k/gen/isr_vectors.S.o: $(B)/gen/isr_vectors.S
	$(call msg,AS,$<)
	$(Q)mkdir -p $(@D) && $(CC) $(K_ASFLAGS) -c $< -o $@

# Console fonts come from Debian's console-setup-linux, embedded at build time.
FONT_DIR   := /usr/share/consolefonts
FONT_SMALL := $(FONT_DIR)/Lat15-Terminus16.psf.gz
FONT_LARGE := $(FONT_DIR)/Lat15-Terminus32x16.psf.gz
$(B)/gen/fonts.c: scripts/bin2c.py | $(DEPS_STAMP)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D) && $(PYTHON) scripts/bin2c.py --gunzip \
	    font_terminus16=$(FONT_SMALL) font_terminus32=$(FONT_LARGE) > $@

# ACPI tables dumped from QEMU machines (scripts/acpi-capture.py), and broken
# copies of them, for the ACPI parser's tests (test/data/acpi/README.md).
ACPI_IMAGES := $(sort $(wildcard test/data/acpi/*.acpimem))
$(B)/gen/acpi_images.c: scripts/bin2c.py $(ACPI_IMAGES)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D) && $(PYTHON) scripts/bin2c.py \
	    $(foreach f,$(ACPI_IMAGES),acpi_image_$(subst -,_,$(basename $(notdir $(f))))=$(f)) > $@

$(B)/gen/build_info.c: $(FLAGS_STAMP) FORCE
	$(Q)mkdir -p $(@D)
	$(Q)printf 'const char coop_build_id[] = "%s";\n' '$(COOP_BUILD) $(shell date -u +%Y-%m-%d)' > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

# ---------------------------------------------------------------------------
# Link: pass 1 without symbols, then embed the text symbols (for backtraces)
# and link again.  The symbol table lives after .text, so code addresses do not
# move between passes; scripts/gen-ksyms.py --check proves it.
LDFLAGS_EFI := -nostdlib -znocombreloc -shared -Bsymbolic --no-undefined \
               -z noexecstack -T efi/coop.lds
CRT0        := $(GNUEFI_LIB)/crt0-efi-x86_64.o
LIBGNUEFI   := $(GNUEFI_LIB)/libgnuefi.a

$(B)/coop.pass1.so: $(ALL_K_OBJS) $(B)/k/gen/ksyms_empty.c.o efi/coop.lds
	$(call msg,LD,$@)
	$(Q)$(LD) $(LDFLAGS_EFI) $(CRT0) $(ALL_K_OBJS) $(B)/k/gen/ksyms_empty.c.o $(LIBGNUEFI) -o $@

$(B)/gen/ksyms_empty.c: scripts/gen-ksyms.py
	$(Q)mkdir -p $(@D) && $(PYTHON) $< --empty > $@

$(B)/gen/ksyms.c: $(B)/coop.pass1.so scripts/gen-ksyms.py
	$(call msg,KSYMS,$@)
	$(Q)$(PYTHON) scripts/gen-ksyms.py $< > $@

$(B)/coop.so: $(ALL_K_OBJS) $(B)/k/gen/ksyms.c.o efi/coop.lds
	$(call msg,LD,$@)
	$(Q)$(LD) $(LDFLAGS_EFI) $(CRT0) $(ALL_K_OBJS) $(B)/k/gen/ksyms.c.o $(LIBGNUEFI) -o $@
	$(call msg,CHECK,symbols stable between link passes)
	$(Q)$(PYTHON) scripts/gen-ksyms.py --check $(B)/coop.pass1.so $@
	$(call msg,CHECK,relocations)
	$(Q)$(PYTHON) scripts/check-relocs.py $@

$(EFI_IMG): $(B)/coop.so
	$(call msg,OBJCOPY,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(OBJCOPY) -D -j .text -j .rodata -j .data -j .bss -j .dynamic -j .dynsym \
	    -j .rel -j .rela -j .rel.* -j .rela.* -j .reloc \
	    --target efi-app-x86_64 --subsystem=10 $< $@
	$(Q)cp $< $(EFI_ELF)

all: $(DEPS_STAMP) $(EFI_IMG)

# ---------------------------------------------------------------------------
# Host build: portable code + tests under ASan/UBSan.
H_CFLAGS := -std=gnu11 -O1 -g $(WARN) -I. -DCOOP_HOST -DCOOP_VERSION='"$(COOP_VERSION)"' \
            -fsanitize=address,undefined -fno-sanitize-recover=all \
            -fno-omit-frame-pointer -pthread
HOST_TEST_SRCS := $(call find_srcs,test/unit test/host)
HOST_LIB := $(B)/host/libcoop.a
HOST_OBJS := $(patsubst %,$(B)/host/%.o,$(HOST_TEST_SRCS))
HOST_TESTS_BIN := $(B)/host/unit-tests

$(B)/host/%.c.o: %.c $(FLAGS_STAMP)
	$(call msg,HOSTCC,$<)
	$(Q)mkdir -p $(@D) && $(CC) $(H_CFLAGS) -MMD -MP -c $< -o $@

# The embedded fonts and ACPI images, so host tests can parse the real ones.
HOST_OBJS += $(B)/host/gen/fonts.c.o $(B)/host/gen/acpi_images.c.o
$(B)/host/gen/%.c.o: $(B)/gen/%.c $(FLAGS_STAMP)
	$(call msg,HOSTCC,$<)
	$(Q)mkdir -p $(@D) && $(CC) $(H_CFLAGS) -c $< -o $@

$(HOST_LIB): $(patsubst %,$(B)/host/%.o,$(PORTABLE_SRCS))
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(HOST_TESTS_BIN): $(HOST_OBJS) $(HOST_LIB)
	$(call msg,HOSTLD,$@)
	$(Q)$(CC) $(H_CFLAGS) $(HOST_OBJS) $(HOST_LIB) -o $@ -lm

# The multi-threaded suites again, under ThreadSanitizer: a second binary
# with only the sched code, the fake HAL and those suites.  make test runs
# the suites named in TSAN_SUITES from it.  -Wno-tsan: TSan does not model
# atomic_thread_fence (it cannot see store buffering at all); the fences of
# the sleep/IPI and timer handshakes are proved by their own tests instead.
TSAN_SUITES   := sched_threads sched_mt spinlock_threads frame_cache_threads
T_CFLAGS      := -std=gnu11 -O1 -g $(WARN) -Wno-tsan -I. -DCOOP_HOST -DCOOP_TSAN \
                 -DCOOP_VERSION='"$(COOP_VERSION)"' -fsanitize=thread -fno-omit-frame-pointer -pthread
TSAN_SRCS     := $(wildcard sched/*.c) test/ktest/ktest.c \
                 test/host/host_main.c test/host/fake_hal.c test/host/host_kmalloc.c \
                 test/host/ktest_platform.c test/host/sched_threads.c test/host/sched_mt.c \
                 hal/smp/spinlock.c test/host/host_locks.c test/host/spinlock_threads.c \
                 $(wildcard mm/frame*.c) kernel/lib/meminfo.c kernel/lib/fmt.c \
                 test/host/frame_cache_threads.c
TSAN_OBJS     := $(patsubst %,$(B)/host-tsan/%.o,$(TSAN_SRCS))
HOST_TSAN_BIN := $(B)/host-tsan/unit-tests

$(B)/host-tsan/%.c.o: %.c $(FLAGS_STAMP)
	$(call msg,TSANCC,$<)
	$(Q)mkdir -p $(@D) && $(CC) $(T_CFLAGS) -MMD -MP -c $< -o $@

$(HOST_TSAN_BIN): $(TSAN_OBJS)
	$(call msg,HOSTLD,$@)
	$(Q)$(CC) $(T_CFLAGS) $^ -o $@

host-tests: $(HOST_TESTS_BIN) $(HOST_TSAN_BIN)

# The sleep/IPI handshake test against a build without the idle side's
# fence (sched/idle.h): it must fail there, or it could not catch the bug.
# Plain -O2 threads, no sanitizer (TSan does not model fences; ASan slows
# the race away).  Not part of make test: the race is probabilistic.
NOFENCE_OBJS := $(patsubst %,$(B)/host-nofence/%.o,$(TSAN_SRCS))
NOFENCE_BIN  := $(B)/host-nofence/unit-tests
NF_CFLAGS    := -std=gnu11 -O2 -g $(WARN) -I. -DCOOP_HOST -DCOOP_SCHED_NO_SLEEP_FENCE \
                -DCOOP_VERSION='"$(COOP_VERSION)"' -pthread

$(B)/host-nofence/%.c.o: %.c $(FLAGS_STAMP)
	$(call msg,NFCC,$<)
	$(Q)mkdir -p $(@D) && $(CC) $(NF_CFLAGS) -MMD -MP -c $< -o $@

$(NOFENCE_BIN): $(NOFENCE_OBJS)
	$(call msg,HOSTLD,$@)
	$(Q)$(CC) $(NF_CFLAGS) $^ -o $@

test-fence: $(NOFENCE_BIN)
	$(Q)scripts/test-fence.sh $(NOFENCE_BIN)

# ---------------------------------------------------------------------------
# Running.
CMDLINE ?=
QEMU_ARGS ?=
run: all
	$(Q)scripts/qemu-run.sh --cmdline "$(CMDLINE)" -- $(QEMU_ARGS)

debug: all
	$(Q)scripts/qemu-run.sh --debug --cmdline "$(CMDLINE)" -- $(QEMU_ARGS)

IMAGE := $(B)/coop.img
image: all
	$(call msg,IMAGE,$(IMAGE))
	$(Q)scripts/mkimage.sh $(IMAGE) $(EFI_IMG)

usb: image
	$(Q)scripts/write-usb.sh $(IMAGE) "$(DEV)"

# ---------------------------------------------------------------------------
# Tests, fuzzing, benchmarks.
# The build runs on every core: make test's budget is 60 s, build included.
test:
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) all host-tests
	$(Q)$(PYTHON) test/run.py --host $(HOST_TESTS_BIN) --tsan $(HOST_TSAN_BIN) \
	    --tsan-suites $(TSAN_SUITES) --efi $(EFI_IMG)

# Hot-plug stress of the USB stack: ~3 minutes, not part of make test.
test-usb-stress: all
	$(Q)$(PYTHON) scripts/usb-stress.py $(EFI_IMG)

test-matrix: all
	$(Q)$(PYTHON) test/run.py --matrix --efi $(EFI_IMG)

# test=all in 4 boots at once, three times: the timing tests on a busy host.
test-stress: all
	$(Q)$(PYTHON) test/run.py --stress --efi $(EFI_IMG)

# What a host program needs besides the portable code: the fake HAL, libc
# behind kmalloc, and ktest's output hooks.  Linked as objects, ahead of the
# portable archive, so they stand in for the kernel's versions.
HOST_SUPPORT := test/host/fake_hal.c test/host/host_kmalloc.c test/host/ktest_platform.c

# portable_lib(dir, compiler, flags): the portable archive $(B)/dir/libcoop.a
# and the host-support objects, built with that compiler and those flags.
define portable_lib
$(B)/$(1)/%.c.o: %.c $(FLAGS_STAMP)
	$$(call msg,$(4),$$<)
	$$(Q)mkdir -p $$(@D) && $(2) $(3) -MMD -MP -c $$< -o $$@
$(B)/$(1)/libcoop.a: $(patsubst %,$(B)/$(1)/%.o,$(PORTABLE_SRCS))
	$$(call msg,AR,$$@)
	$$(Q)rm -f $$@ && ar rcs $$@ $$^
endef

FUZZ_SECONDS ?= 30
FUZZ_SRCS    := $(wildcard test/fuzz/fuzz_*.c)
FUZZ_BINS    := $(patsubst test/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRCS))
F_CFLAGS := -std=gnu11 -O1 -g -I. -DCOOP_HOST -DCOOP_FUZZ -DCOOP_VERSION='"$(COOP_VERSION)"' \
            -fsanitize=address,undefined -fno-sanitize-recover=all
$(eval $(call portable_lib,fuzzlib,$(CLANG),$(F_CFLAGS) -fsanitize=fuzzer-no-link,FUZZCC))
FUZZ_SUPPORT := $(patsubst %,$(B)/fuzzlib/%.o,$(HOST_SUPPORT))
$(B)/fuzz/%: test/fuzz/%.c $(FUZZ_SUPPORT) $(B)/fuzzlib/libcoop.a
	$(call msg,FUZZLD,$@)
	$(Q)mkdir -p $(@D) && $(CLANG) $(F_CFLAGS) -fsanitize=fuzzer $^ -o $@
fuzz-deps:
	$(Q)scripts/deps.sh --fuzz
$(FUZZ_BINS) $(FUZZ_SUPPORT) $(B)/fuzzlib/libcoop.a: | fuzz-deps
fuzz: $(DEPS_STAMP) $(FUZZ_BINS)
	$(Q)scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

# The campaign: every target for 10 million inputs or an hour, whichever comes
# first, one at a time at the lowest priority; what it finds is minimised
# into test/fuzz/corpus/.  Figures go to test/fuzz/README.md by hand.
FUZZ_RUNS     ?= 10000000
FUZZ_MAX_SECS ?= 3600
fuzz-campaign: $(DEPS_STAMP) $(FUZZ_BINS)
	$(Q)nice -n 19 scripts/fuzz.sh --keep --runs $(FUZZ_RUNS) $(FUZZ_MAX_SECS) $(FUZZ_BINS)

BENCH_SRCS := $(wildcard test/bench/*.c)
BENCH_BINS := $(patsubst test/bench/%.c,$(B)/bench/%,$(BENCH_SRCS))
BN_CFLAGS  := -std=gnu11 -O2 -g $(WARN) -I. -DCOOP_HOST -DCOOP_BENCH \
              -DCOOP_VERSION='"$(COOP_VERSION)"' -DNDEBUG -pthread
$(eval $(call portable_lib,benchlib,$(CC),$(BN_CFLAGS),BENCHCC))
BENCH_SUPPORT := $(patsubst %,$(B)/benchlib/%.o,$(HOST_SUPPORT))
# Keep the support objects: make would delete them as intermediates.
.SECONDARY: $(FUZZ_SUPPORT) $(BENCH_SUPPORT)
$(B)/bench/%: test/bench/%.c $(BENCH_SUPPORT) $(B)/benchlib/libcoop.a
	$(call msg,BENCHLD,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(BN_CFLAGS) $^ -o $@ -lmimalloc -lm
bench-deps:
	$(Q)scripts/deps.sh --bench
$(BENCH_BINS): | bench-deps

# The Rust peers (test/bench/peer-rust), built offline against Debian's
# packaged crates.  cargo decides itself whether anything changed.
PEER_BIN := $(B)/peer-rust/release/peer-rust
peer-rust: | bench-deps
	$(call msg,CARGO,$(PEER_BIN))
	$(Q)cd test/bench/peer-rust && cargo build --release --offline --quiet \
	    --target-dir $(CURDIR)/$(B)/peer-rust

bench: all $(BENCH_BINS) peer-rust
	$(Q)scripts/bench.sh --peer $(PEER_BIN) $(BENCH_BINS)

clean:
	$(call msg,CLEAN,$(B) $(EFI_IMG))
	$(Q)rm -rf $(B) $(EFI_IMG) $(EFI_ELF)

help:
	@echo 'coop make targets:'
	@echo '  make              build esp/EFI/BOOT/BOOTX64.EFI (+ coop.elf for gdb)'
	@echo '  make run          boot in QEMU+OVMF (CMDLINE="..." QEMU_ARGS="...")'
	@echo '  make test         host unit tests + boot tests (the CI command)'
	@echo '  make test-matrix  boot tests across machines/memory/CPUs/disks'
	@echo '  make test-stress  test=all in 4 boots at once, 3 times (busy host)'
	@echo '  make test-fence   the lost-wake-up test must fail without its fence'
	@echo '  make test-usb-stress  USB hot-plug stress (~3 min)'
	@echo '  make image        FAT image build/coop.img for a USB stick'
	@echo '  make usb DEV=/dev/sdX   write the image to a removable disk'
	@echo '  make debug        QEMU gdb stub + gdb with symbols at the image base'
	@echo '  make fuzz         libFuzzer targets (FUZZ_SECONDS=30 each)'
	@echo '  make fuzz-campaign   each target 10M inputs or 1 h; keeps the corpus'
	@echo '  make bench        host and in-kernel benchmarks'
	@echo '  make clean        remove build outputs'
	@echo '  V=1               show full commands'

.PHONY: fuzz-deps bench-deps peer-rust
.PHONY: all deps run debug image usb test test-matrix test-stress test-usb-stress test-fence fuzz
.PHONY: fuzz-campaign bench clean help
.PHONY: host-tests FORCE
FORCE:

-include $(shell find $(B) -name '*.d' 2>/dev/null)
