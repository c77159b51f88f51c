/*
 * In-kernel tests of the other CPUs: every CPU online with its own number,
 * APIC id, per-CPU block, GDT/TSS and guarded IST stacks, the same page
 * tables and protections, its own timer; all CPUs hammering the heap, the
 * frame allocator and the log at once with nothing lost or corrupted; lock
 * misuse reported; a page-table change reaching every CPU's TLB; a CPU that
 * does not answer its start-up IPIs warned about once and skipped.
 *
 * Work reaches another CPU through smp_call(): it runs in that CPU's agent
 * task.  Every wait is bounded and generous (a vCPU on a busy host can
 * stall for a long time); the bounds only decide how long a lost CPU takes
 * to fail a test.
 */
#include "hal/cpu.h"
#include "hal/cpu/gdt.h"
#include "hal/cpu/mmu.h"
#include "hal/cpu/percpu.h"
#include "hal/dev/qemu.h"
#include "hal/hal.h"
#include "hal/irq/lapic.h"
#include "hal/smp/spinlock.h"
#include "hal/smp/tlb.h"
#include "hal/time/clock.h"
#include "kernel/boot_info.h"
#include "kernel/console/console.h"
#include "kernel/kernel.h"
#include "kernel/lib/fmt.h"
#include "kernel/lib/string.h"
#include "kernel/locks.h"
#include "kernel/log.h"
#include "kernel/params.h"
#include "kernel/platform.h"
#include "kernel/smp.h"
#include "mm/frame_cache.h"
#include "mm/heap.h"
#include "mm/layout.h"
#include "mm/mm.h"
#include "sched/executor.h"
#include "sched/timer.h"
#include "test/ktest/ktest.h"

KTEST_SUITE_FLAGS(smp, KTEST_KERNEL_ONLY);

#define WAIT_MS 60000

static HAL_PER_CPU unsigned test_mark;

/* Runs fn(arg) on every CPU at once: the others through smp_call, this
 * one directly; false if a CPU did not finish within WAIT_MS. */
static bool on_every_cpu(void (*fn)(void *), void *arg)
{
	static struct smp_call calls[HAL_MAX_CPUS];
	unsigned n = hal_cpu_count();
	bool ok = true;

	for (unsigned i = 1; i < n; i++) {
		calls[i] = (struct smp_call){ .fn = fn, .arg = arg };
		if (!smp_call(i, &calls[i]))
			return false;
	}
	fn(arg);
	for (unsigned i = 1; i < n; i++)
		ok &= smp_call_wait(&calls[i], WAIT_MS);
	return ok;
}

/* ---- who is who ------------------------------------------------------------------ */

static struct ident {
	unsigned id;
	uint32_t apic_id, lapic_id;
	const struct hal_cpu *self;
	uintptr_t gs_base;
	struct gdt_info gdt;
	uint64_t cr0, cr3, cr4, efer, pat;
	bool seen;
} idents[HAL_MAX_CPUS];

static void who_am_i(void *arg)
{
	unsigned i = hal_cpu_id();
	struct ident *d = &idents[i];

	(void)arg;
	d->id = i;
	d->apic_id = hal_this_cpu.apic_id;
	d->lapic_id = lapic_id();
	d->self = hal_this_cpu.self;
	d->gs_base = hal_this_cpu.gs_base;
	gdt_describe(&d->gdt);
	d->cr0 = hal_read_cr0();
	d->cr3 = hal_read_cr3();
	d->cr4 = hal_read_cr4();
	d->efer = rdmsr(MSR_EFER);
	d->pat = rdmsr(MSR_PAT);
	test_mark = 1000 + i;
	__atomic_store_n(&d->seen, true, __ATOMIC_RELEASE);
}

static bool ask_everyone(void)
{
	memset(idents, 0, sizeof idents);
	return on_every_cpu(who_am_i, NULL);
}

/* How many CPUs should run: QEMU's -smp, cut by cpus=N. */
static bool expected_cpus(unsigned *n)
{
	if (!hal_qemu_cpu_count(n))
		return false;
	if (kparams.cpus && kparams.cpus < *n)
		*n = kparams.cpus;
	if (*n > HAL_MAX_CPUS)
		*n = HAL_MAX_CPUS;
	return true;
}

KTEST(smp, every_cpu_online_with_its_own_number_apic_id_and_block)
{
	unsigned n = hal_cpu_count(), want;

	if (expected_cpus(&want)) {
		ktest_diag(_kt, "QEMU -smp %u%s; %u CPUs online", want,
			   kparams.cpus ? " (cpus= on the command line)" : "", n);
		EXPECT_EQ(n, want);
	}
	ASSERT_TRUE(ask_everyone());
	for (unsigned i = 0; i < n; i++) {
		const struct ident *d = &idents[i];
		ASSERT_TRUE(d->seen);
		EXPECT_EQ(d->id, i);
		EXPECT_EQ(d->apic_id, d->lapic_id);
		EXPECT_EQ(d->apic_id, hal_cpus[i]->apic_id);
		EXPECT_EQ((uintptr_t)d->self, (uintptr_t)hal_cpus[i]);
		EXPECT_EQ(*(unsigned *)percpu_ptr_of(hal_cpus[i], (uintptr_t)&test_mark), 1000 + i);
		for (unsigned j = 0; j < i; j++) {
			EXPECT_NE(d->apic_id, idents[j].apic_id);
			EXPECT_NE(d->gs_base, idents[j].gs_base);
		}
		if (i)
			ktest_diag(_kt, "CPU %u: APIC id %u, started in %llu us", i, d->apic_id,
				   (unsigned long long)smp_startup_us(i));
	}
}

static void read_nothing(void *arg)
{
	(void)arg;
}

static bool mapped(uintptr_t va)
{
	return pt_translate(mm_kernel_pt(), va, NULL, NULL, NULL);
}

KTEST(smp, every_cpu_has_its_own_gdt_tss_and_guarded_ist_stacks)
{
	unsigned n = hal_cpu_count();

	ASSERT_TRUE(ask_everyone());
	for (unsigned i = 0; i < n; i++) {
		const struct gdt_info *g = &idents[i].gdt;
		EXPECT_EQ(g->tr, GDT_TSS);
		for (unsigned j = 0; j < i; j++) {
			EXPECT_NE(g->gdt_base, idents[j].gdt.gdt_base);
			EXPECT_NE(g->tss_base, idents[j].gdt.tss_base);
		}
		for (int k = 0; k < IST_COUNT; k++) {
			/* 16 KiB stacks, each above an unmapped guard page. */
			uintptr_t bottom = g->ist[k] - 16 * 1024;
			EXPECT_TRUE(mapped(bottom));
			EXPECT_TRUE(mapped(g->ist[k] - 8));
			EXPECT_FALSE(mapped(bottom - PAGE_SIZE));
			for (unsigned j = 0; j < i; j++)
				EXPECT_NE(g->ist[k], idents[j].gdt.ist[k]);
		}
	}
}

KTEST(smp, every_cpu_runs_the_same_tables_with_nx_wp_smep_smap)
{
	const uint64_t cr4_bits = CR4_SMEP | CR4_SMAP | CR4_PGE | (1u << 5) /* PAE */;
	unsigned n = hal_cpu_count();

	ASSERT_TRUE(ask_everyone());
	ktest_diag(_kt, "CPU 0: cr0 0x%llx cr4 0x%llx efer 0x%llx", (unsigned long long)idents[0].cr0,
		   (unsigned long long)idents[0].cr4, (unsigned long long)idents[0].efer);
	EXPECT_TRUE(idents[0].cr0 & CR0_WP);
	EXPECT_TRUE(idents[0].efer & EFER_NXE);
	for (unsigned i = 1; i < n; i++) {
		const struct ident *d = &idents[i];
		EXPECT_EQ(d->cr3, idents[0].cr3);
		EXPECT_EQ(d->cr0 & CR0_WP, CR0_WP);
		EXPECT_EQ(d->efer & EFER_NXE, EFER_NXE);
		EXPECT_EQ(d->cr4 & cr4_bits, idents[0].cr4 & cr4_bits);
		EXPECT_EQ(d->pat, idents[0].pat);
	}
}

/* ---- each CPU's own timer, through its own executor --------------------------------- */

/*
 * A nap counts as woken by the timer only if this CPU took a timer
 * interrupt while it slept.  A vCPU that the host did not run for 20 ms
 * finds its deadline passed without any interrupt (the executor sees the
 * timer due before it halts): that proves nothing, so the nap sleeps
 * again, up to NAP_TRIES times.  A task may also move to another CPU
 * between polls; then the counts are another CPU's, and it naps again.
 */
#define NAP_MS 20
#define NAP_TRIES 100

struct nap {
	struct future base;
	struct sleep_future sleep;
	uint64_t *interrupts;
	unsigned cpu, tries;
	uint64_t before; /* this CPU's timer interrupts when the sleep began */
};

static void nap_start(struct nap *n)
{
	n->cpu = hal_cpu_id();
	n->before = clock_interrupts();
	sleep_ms_init(&n->sleep, NAP_MS);
}

static enum poll nap_poll(struct future *f, struct context *cx)
{
	struct nap *n = (struct nap *)f;

	for (;;) {
		if (future_poll(&n->sleep.base, cx) == POLL_PENDING)
			return POLL_PENDING;
		uint64_t now = clock_interrupts();
		if (n->cpu == hal_cpu_id() && now > n->before) {
			__atomic_store_n(n->interrupts, now, __ATOMIC_RELEASE);
			return POLL_READY;
		}
		if (++n->tries == NAP_TRIES) {
			__atomic_store_n(n->interrupts, UINT64_MAX - 1, __ATOMIC_RELEASE);
			return POLL_READY;
		}
		nap_start(n);
	}
}

static const struct future_ops nap_ops = { .name = "smp_nap", .poll = nap_poll };
static uint64_t nap_interrupts[HAL_MAX_CPUS];

/* On an AP: a task of its own executor that sleeps 20 ms. */
static void spawn_nap(void *arg)
{
	struct nap n = { .base = { &nap_ops }, .interrupts = &nap_interrupts[hal_cpu_id()] };

	(void)arg;
	nap_start(&n);
	if (!spawn_detached_on(smp_executor(), &n.base, sizeof n))
		nap_interrupts[hal_cpu_id()] = UINT64_MAX;
}

KTEST(smp, every_cpu_sleeps_on_its_own_timer)
{
	static struct smp_call calls[HAL_MAX_CPUS];
	unsigned n = hal_cpu_count();

	if (n == 1)
		KTEST_SKIP("one CPU");
	memset(nap_interrupts, 0, sizeof nap_interrupts);
	for (unsigned i = 1; i < n; i++) {
		calls[i] = (struct smp_call){ .fn = spawn_nap };
		ASSERT_TRUE(smp_call(i, &calls[i]));
	}
	for (unsigned i = 1; i < n; i++) {
		uint64_t end = hal_clock_ms() + WAIT_MS;
		ASSERT_TRUE(smp_call_wait(&calls[i], WAIT_MS));
		while (!__atomic_load_n(&nap_interrupts[i], __ATOMIC_ACQUIRE) &&
		       hal_clock_ms() < end)
			hal_cpu_relax();
		/* Woken by its own local APIC timer: it counted interrupts. */
		EXPECT_NE(nap_interrupts[i], 0);
		EXPECT_NE(nap_interrupts[i], UINT64_MAX);	  /* no memory */
		EXPECT_NE(nap_interrupts[i], UINT64_MAX - 1); /* never by its timer */
	}
}

/* ---- everyone at once: heap, frames, log ------------------------------------------ */

/*
 * Rounds per CPU: a fixed total, split among the CPUs.  A ticket lock
 * serves its waiters in order, so when QEMU runs more vCPUs than the host
 * has cores, each hand-over waits for the host to schedule the one vCPU
 * whose turn it is (milliseconds): contention costs grow with the hand-overs,
 * not with the work.  The total keeps 8 vCPUs on 2 busy cores in bounds.
 */
#define HAMMER_TOTAL 1600
#define HAMMER_MIN_ROUNDS 100
#define HAMMER_LIVE 24
#define HAMMER_LINES 10
#define CAPTURE_MAX (48 * 1024)

static struct hammer {
	uint64_t allocs, frees, frames, written, read;
	unsigned failed, corrupt;
} hammers[HAL_MAX_CPUS];

static uint32_t mix(uint32_t a, uint32_t b)
{
	uint32_t h = a * 2654435761u ^ (b + 0x9e3779b9u + (a << 6) + (a >> 2));
	return h ^ (h >> 15);
}

/* Fills p with bytes that only (cpu, round) give; returns their sum. */
static uint64_t fill(uint8_t *p, size_t n, uint32_t seed)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += p[i] = (uint8_t)(seed + i * 7);
	return sum;
}

/* The sum of the bytes, and whether each is still what fill() wrote. */
static uint64_t check(const uint8_t *p, size_t n, uint32_t seed, unsigned *corrupt)
{
	uint64_t sum = 0;
	bool bad = false;

	for (size_t i = 0; i < n; i++) {
		bad |= p[i] != (uint8_t)(seed + i * 7);
		sum += p[i];
	}
	*corrupt += bad;
	return sum;
}

static void hammer_frame(struct hammer *h, uint32_t seed)
{
	uint64_t pa = mm_frame_alloc();

	if (!pa) {
		h->failed++;
		return;
	}
	h->written += fill(mm_phys_to_virt(pa), PAGE_SIZE, seed);
	h->read += check(mm_phys_to_virt(pa), PAGE_SIZE, seed, &h->corrupt);
	if (mm_frame_free(pa))
		h->corrupt++;
	h->frames++;
}

static unsigned hammer_rounds(void)
{
	unsigned r = HAMMER_TOTAL / hal_cpu_count();
	return r < HAMMER_MIN_ROUNDS ? HAMMER_MIN_ROUNDS : r - r % HAMMER_LINES;
}

static void hammer(void *arg)
{
	unsigned cpu = hal_cpu_id(), line = 0, rounds = hammer_rounds();
	struct hammer *h = &hammers[cpu];
	uint8_t *live[HAMMER_LIVE] = { 0 };
	size_t size[HAMMER_LIVE];
	uint32_t seed[HAMMER_LIVE];

	(void)arg;
	for (unsigned r = 0; r < rounds; r++) {
		unsigned s = mix(cpu, r) % HAMMER_LIVE;
		if (live[s]) {
			h->read += check(live[s], size[s], seed[s], &h->corrupt);
			kfree(live[s]);
			h->frees++;
		}
		seed[s] = mix(cpu + 1, r);
		size[s] = 1 + seed[s] % (r % 16 ? 600 : 9000);
		live[s] = kmalloc(size[s]);
		if (!live[s]) {
			h->failed++;
			continue;
		}
		h->allocs++;
		h->written += fill(live[s], size[s], seed[s]);
		if (r % 4 == 0)
			hammer_frame(h, seed[s]);
		if (r % (rounds / HAMMER_LINES) == 0) {
			log_info("smp-hammer cpu %u line %u sum %08x", cpu, line, mix(cpu, line));
			line++;
		}
	}
	for (unsigned s = 0; s < HAMMER_LIVE; s++) {
		if (!live[s])
			continue;
		h->read += check(live[s], size[s], seed[s], &h->corrupt);
		kfree(live[s]);
		h->frees++;
	}
}

static struct {
	char text[CAPTURE_MAX];
	size_t len;
	bool overflow;
} capture;

static void tap(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	if (capture.len + n > sizeof capture.text) {
		capture.overflow = true;
		return;
	}
	memcpy(capture.text + capture.len, s, n);
	capture.len += n;
}

/* Parses "smp-hammer cpu C line L sum S"; true if it is one, whole. */
static bool parse_line(const char *p, size_t n, unsigned *cpu, unsigned *line)
{
	char want[64];

	if (n > 7 && memcmp(p, "[cpu", 4) == 0) { /* loglevel=debug names the CPU */
		size_t k = 4;
		while (k < n && p[k] != ']')
			k++;
		if (k + 2 > n)
			return false;
		n -= k + 2;
		p += k + 2;
	}
	*cpu = *line = 0;
	if (n < 20 || memcmp(p, "smp-hammer cpu ", 15) != 0)
		return false;
	const char *q = p + 15;
	while (*q >= '0' && *q <= '9')
		*cpu = *cpu * 10 + (unsigned)(*q++ - '0');
	if (memcmp(q, " line ", 6) != 0)
		return false;
	for (q += 6; *q >= '0' && *q <= '9'; q++)
		*line = *line * 10 + (unsigned)(*q - '0');
	fmt_snprintf(want, sizeof want, "smp-hammer cpu %u line %u sum %08x", *cpu, *line,
		     mix(*cpu, *line));
	return strlen(want) == n && memcmp(want, p, n) == 0 && *cpu < HAL_MAX_CPUS &&
	       *line < HAMMER_LINES;
}

static bool has_hammer(const char *p, size_t n)
{
	for (size_t i = 0; i + 10 <= n; i++)
		if (memcmp(p + i, "smp-hammer", 10) == 0)
			return true;
	return false;
}

/* Every line each CPU logged is there once, whole. */
static void check_log(struct ktest *_kt, unsigned n)
{
	static uint8_t seen[HAL_MAX_CPUS][HAMMER_LINES];
	unsigned mixed = 0;
	size_t start = 0;

	memset(seen, 0, sizeof seen);
	ASSERT_FALSE(capture.overflow);
	for (size_t i = 0; i < capture.len; i++) {
		if (capture.text[i] != '\n')
			continue;
		const char *p = capture.text + start;
		size_t len = i - start;
		unsigned cpu, line;
		start = i + 1;
		if (parse_line(p, len, &cpu, &line))
			seen[cpu][line]++;
		else if (has_hammer(p, len))
			mixed++; /* a hammer line with something else in it */
	}
	for (unsigned c = 0; c < n; c++)
		for (unsigned l = 0; l < HAMMER_LINES; l++)
			EXPECT_EQ(seen[c][l], 1);
	EXPECT_EQ(mixed, 0);
}

KTEST(smp, all_cpus_hammer_heap_frames_and_log_at_once)
{
	unsigned n = hal_cpu_count(), rounds = hammer_rounds();
	struct heap_stats hb, ha;
	struct frame_stats fb, fa;

	memset(hammers, 0, sizeof hammers);
	capture.len = 0;
	capture.overflow = false;
	kmalloc_stats(&hb);
	mm_frame_stats(&fb);
	uint64_t heap_before = mm_heap_mapped_bytes();
	con_tap_for_test(tap, NULL);
	bool done = on_every_cpu(hammer, NULL);
	con_tap_for_test(NULL, NULL);
	ASSERT_TRUE(done);
	for (unsigned i = 0; i < n; i++) {
		const struct hammer *h = &hammers[i];
		EXPECT_EQ(h->failed, 0);
		EXPECT_EQ(h->corrupt, 0);
		EXPECT_EQ(h->allocs, rounds);
		EXPECT_EQ(h->frees, h->allocs);
		EXPECT_EQ(h->frames, rounds / 4);
		EXPECT_EQ(h->read, h->written);
	}
	kmalloc_stats(&ha);
	mm_frame_stats(&fa);
	ktest_diag(_kt, "%u CPUs x %u allocs + %u frames; heap live %zu -> %zu; %llu frees",
		   n, rounds, rounds / 4, hb.live_allocs, ha.live_allocs,
		   (unsigned long long)fa.frees);
	EXPECT_EQ(ha.live_allocs, hb.live_allocs);
	EXPECT_EQ(ha.used, hb.used);
	/* Frames in use outside the heap: the same, give or take the page
	 * tables of the heap's range (a lost frame a round would be hundreds). */
	int64_t others_before = (int64_t)(fb.used_bytes - heap_before);
	int64_t others_after = (int64_t)(fa.used_bytes - mm_heap_mapped_bytes());
	ktest_diag(_kt, "frames outside the heap: %lld KiB before, %lld KiB after",
		   (long long)others_before / 1024, (long long)others_after / 1024);
	EXPECT_LE(others_after - others_before, 8 * PAGE_SIZE);
	EXPECT_LE(others_before - others_after, 8 * PAGE_SIZE);
	/* The frames the hammer freed wait in the CPUs' caches, counted free. */
	ktest_diag(_kt, "frames in per-CPU caches: %llu KiB; %llu of %llu allocs served there",
		   (unsigned long long)fa.cached_bytes / 1024,
		   (unsigned long long)fa.cache_allocs, (unsigned long long)fa.allocs);
	EXPECT_EQ(fa.free_bytes + fa.used_bytes + fa.reserved_bytes, fa.total_bytes);
	EXPECT_LE(fa.cached_bytes, (uint64_t)n * FRAME_CACHE_SLOTS * PAGE_SIZE);
	EXPECT_LE(fa.cached_bytes, fa.free_bytes);
	EXPECT_GT(fa.cache_allocs, fb.cache_allocs);
	EXPECT_TRUE(kmalloc_check());
	check_log(_kt, n);
}

/* ---- the heap's pages, mapped and unmapped outside its lock ------------------------ */

#define BIG_BYTES (2u << 20)
#define BIG_ROUNDS 4
#define SMALL_BYTES (64u << 10)
#define SMALL_LIVE 16
#define SMALL_ROUNDS 40

static uint32_t big_failed[HAL_MAX_CPUS], big_rounds_done;

/* CPU 1: grows that are committed, and shrinks decommitted, outside the
 * heap lock (mm/kmalloc.c), one after another. */
static void big_grows(void)
{
	for (unsigned r = 0; r < BIG_ROUNDS; r++) {
		volatile uint8_t *p = kmalloc(BIG_BYTES);
		if (!p) {
			big_failed[1]++;
			continue;
		}
		p[0] = 1;
		p[BIG_BYTES - 1] = 2;
		kfree((void *)p);
		__atomic_fetch_add(&big_rounds_done, 1, __ATOMIC_RELEASE);
	}
}

/* The others: grows of their own meanwhile, each small enough to be
 * mapped inside the lock, if the pages are free to touch. */
static void small_grows(void)
{
	unsigned me = hal_cpu_id();
	static uint8_t *live[HAL_MAX_CPUS][SMALL_LIVE];

	/* Bounded: under icount QEMU runs the CPUs in turns, and a CPU that
	 * never waits can keep the others from running for a long time. */
	for (unsigned r = 0; r < SMALL_ROUNDS &&
	     __atomic_load_n(&big_rounds_done, __ATOMIC_ACQUIRE) < BIG_ROUNDS; r++) {
		for (unsigned i = 0; i < SMALL_LIVE; i++) {
			live[me][i] = kmalloc(SMALL_BYTES);
			if (live[me][i])
				live[me][i][SMALL_BYTES - 1] = (uint8_t)i;
			else
				big_failed[me]++;
		}
		for (unsigned i = 0; i < SMALL_LIVE; i++)
			kfree(live[me][i]);
	}
}

static void grow_side_by_side(void *arg)
{
	(void)arg;
	if (hal_cpu_id() == 1)
		big_grows();
	else
		small_grows();
}

KTEST(smp, no_cpu_fails_while_another_maps_heap_pages)
{
	unsigned n = hal_cpu_count();

	if (n == 1)
		KTEST_SKIP("one CPU");
	memset(big_failed, 0, sizeof big_failed);
	big_rounds_done = 0;
	ASSERT_TRUE(on_every_cpu(grow_side_by_side, NULL));
	ktest_diag(_kt, "CPU 1: %u rounds of %u MiB; the others %u KiB at a time",
		   big_rounds_done, BIG_BYTES >> 20, SMALL_BYTES >> 10);
	for (unsigned i = 0; i < n; i++)
		EXPECT_EQ(big_failed[i], 0);
	EXPECT_EQ(big_rounds_done, BIG_ROUNDS);
	EXPECT_TRUE(kmalloc_check());
}

/* ---- lock misuse ------------------------------------------------------------------- */

static struct spinlock test_lock = SPINLOCK_INIT("test lock");

static void take_and_drop(void *arg)
{
	(void)arg;
	spin_lock(&test_lock);
	spin_unlock(&test_lock);
}

static void drop(void *arg)
{
	(void)arg;
	spin_unlock(&test_lock);
}

/* Under a hypervisor (CPUID.01H:ECX bit 31, set by QEMU's TCG too) the
 * locks take no tickets, so a CPU the host does not run cannot hold up
 * the others (hal/smp/spinlock.h).  On one CPU nothing changes. */
KTEST(smp, spinlocks_are_test_and_set_under_a_hypervisor)
{
	uint32_t r[4];

	if (hal_cpu_count() == 1)
		KTEST_SKIP("one CPU");
	hal_cpuid(1, 0, r);
	EXPECT_EQ(spin_is_test_and_set(), (r[2] & (1u << 31)) != 0);
}

KTEST(smp, lock_misuse_is_reported_with_the_holder)
{
	struct lock_expectation e = { .what = LOCK_RECURSIVE };
	static struct smp_call call;

	/* Recursion, on this CPU. */
	lock_expect(&e);
	spin_lock(&test_lock);
	spin_lock(&test_lock);
	lock_expect_clear();
	EXPECT_TRUE(e.hit);
	ktest_diag(_kt, "%s", e.report);
	EXPECT_TRUE(ktest_str_contains(e.report, "spinlock 'test lock': CPU 0 takes it again"));
	EXPECT_TRUE(ktest_str_contains(e.report, "CPU 0 holds it (taken at ktest_fn_smp_lock"));
	spin_unlock(&test_lock);
	EXPECT_FALSE(spin_held(&test_lock));
	if (hal_cpu_count() == 1)
		KTEST_SKIP("one CPU: no other CPU to release or wait");

	/* A release by CPU 1 while CPU 0 holds it. */
	e.what = LOCK_NOT_HOLDER;
	lock_expect(&e);
	spin_lock(&test_lock);
	call = (struct smp_call){ .fn = drop };
	ASSERT_TRUE(smp_call(1, &call));
	EXPECT_TRUE(smp_call_wait(&call, WAIT_MS));
	lock_expect_clear();
	EXPECT_TRUE(spin_held(&test_lock)); /* the bad release changed nothing */
	spin_unlock(&test_lock);
	EXPECT_TRUE(e.hit);
	ktest_diag(_kt, "%s", e.report);
	EXPECT_TRUE(ktest_str_contains(e.report, "CPU 1 releases it, but CPU 0 holds it"));

	/* CPU 1 waits past the limit (lowered to 50 ms) for CPU 0's lock. */
	uint64_t old = spin_set_wait_limit(spin_cycles_per_ms() * 50);
	e.what = LOCK_LONG_WAIT;
	lock_expect(&e);
	spin_lock(&test_lock);
	call = (struct smp_call){ .fn = take_and_drop };
	ASSERT_TRUE(smp_call(1, &call));
	uint64_t end = hal_clock_ms() + WAIT_MS;
	while (!__atomic_load_n(&e.hit, __ATOMIC_ACQUIRE) && hal_clock_ms() < end)
		hal_cpu_relax();
	spin_unlock(&test_lock);
	EXPECT_TRUE(smp_call_wait(&call, WAIT_MS));
	lock_expect_clear();
	spin_set_wait_limit(old);
	EXPECT_TRUE(e.hit);
	ktest_diag(_kt, "%s", e.report);
	EXPECT_TRUE(ktest_str_contains(e.report, "CPU 1 has waited"));
	EXPECT_TRUE(ktest_str_contains(e.report, "CPU 0 holds it (taken at ktest_fn_smp_lock"));
}

/* ---- a CPU that does not answer ------------------------------------------------------ */

#define GHOST_TIMEOUT_MS 300

/* One above the highest APIC id the MADT lists: no CPU has it. */
static uint32_t absent_apic_id(void)
{
	const struct acpi_info *acpi = platform_acpi();
	uint32_t top = 0;

	for (uint32_t i = 0; acpi && i < acpi->madt.cpu_count; i++)
		if (acpi->madt.cpus[i].apic_id > top)
			top = acpi->madt.cpus[i].apic_id;
	return top + 1;
}

static unsigned count_in_capture(const char *needle)
{
	size_t n = strlen(needle);
	unsigned count = 0;

	for (size_t i = 0; i + n <= capture.len; i++)
		count += memcmp(capture.text + i, needle, n) == 0;
	return count;
}

KTEST(smp, a_cpu_that_does_not_answer_is_warned_about_once_and_skipped)
{
	const struct acpi_info *acpi = platform_acpi();
	unsigned n = hal_cpu_count();
	uint32_t ghost = absent_apic_id();
	static struct smp_call call;
	char want[120];

	if (!acpi || !acpi->has_madt || !kernel_boot_info()->ap_trampoline)
		KTEST_SKIP("no MADT or no start-up page: CPUs are not started");
	ASSERT_LT(ghost, 255); /* 255 is the xAPIC broadcast */
	capture.len = 0;
	capture.overflow = false;
	con_tap_for_test(tap, NULL);
	bool skipped = smp_start_absent_for_test(ghost, GHOST_TIMEOUT_MS);
	con_tap_for_test(NULL, NULL);
	EXPECT_TRUE(skipped);
	fmt_snprintf(want, sizeof want, "warning: smp: the CPU with APIC id %u did not answer "
		     "its start-up IPIs within %u ms; skipped\n", ghost, GHOST_TIMEOUT_MS);
	ktest_diag(_kt, "%.*s", (int)strlen(want) - 1, want);
	EXPECT_EQ(count_in_capture(want), 1);
	EXPECT_EQ(count_in_capture("warning:"), 1);
	/* Nothing else changed: the same CPUs run, and still take work. */
	EXPECT_EQ(hal_cpu_count(), n);
	if (n > 1) {
		call = (struct smp_call){ .fn = read_nothing };
		ASSERT_TRUE(smp_call(n - 1, &call));
		EXPECT_TRUE(smp_call_wait(&call, WAIT_MS));
	}
}

/* ---- TLB shootdown ----------------------------------------------------------------- */

#define TLB_TEST_VA (MMIO_BASE + MMIO_MAX_SIZE - 4 * PAGE_SIZE)

static uint64_t seen_value[HAL_MAX_CPUS];

static void read_test_page(void *arg)
{
	(void)arg;
	seen_value[hal_cpu_id()] = *(volatile const uint64_t *)TLB_TEST_VA;
}

KTEST(smp, page_table_changes_reach_every_cpus_tlb)
{
	unsigned n = hal_cpu_count();
	uint64_t a = mm_frame_alloc(), b = mm_frame_alloc();
	uint64_t answered[HAL_MAX_CPUS];

	ASSERT_NE(a, 0);
	ASSERT_NE(b, 0);
	*(volatile uint64_t *)mm_phys_to_virt(a) = 0xaaaa;
	*(volatile uint64_t *)mm_phys_to_virt(b) = 0xbbbb;
	ASSERT_EQ(mm_map(TLB_TEST_VA, a, PAGE_SIZE, 0), 0);
	/* Every CPU reads it: now its TLB holds the translation to a. */
	ASSERT_TRUE(on_every_cpu(read_test_page, NULL));
	for (unsigned i = 0; i < n; i++) {
		EXPECT_EQ(seen_value[i], 0xaaaa);
		answered[i] = tlb_stats(i).answered;
	}
	/* Point the page at b: only a shootdown makes the others see it. */
	ASSERT_EQ(mm_unmap(TLB_TEST_VA, PAGE_SIZE), 0);
	ASSERT_EQ(mm_map(TLB_TEST_VA, b, PAGE_SIZE, 0), 0);
	ASSERT_TRUE(on_every_cpu(read_test_page, NULL));
	for (unsigned i = 0; i < n; i++) {
		EXPECT_EQ(seen_value[i], 0xbbbb);
		if (i)
			EXPECT_GT(tlb_stats(i).answered, answered[i]);
	}
	EXPECT_EQ(mm_unmap(TLB_TEST_VA, PAGE_SIZE), 0);
	EXPECT_EQ(mm_frame_free(a), 0);
	EXPECT_EQ(mm_frame_free(b), 0);
}

KTEST(smp, idle_cpus_halt)
{
	unsigned n = hal_cpu_count();

	/* Every AP has been idle at some point since it started: it halted
	 * (and a CPU that halts wakes only through an interrupt). */
	for (unsigned i = 1; i < n; i++) {
		const struct hal_cpu *c = hal_cpus[i];
		EXPECT_TRUE(__atomic_load_n(&c->halted_cycles, __ATOMIC_RELAXED) ||
			    __atomic_load_n(&c->halt_tsc, __ATOMIC_RELAXED));
	}
}
