/*
 * Host-only tests of mm/frame at full size: a 6 GiB OVMF-like map drained
 * and refilled frame by frame, a long random run against a shadow model, and
 * a check that alloc/free cost does not grow with memory size.  Too slow and
 * too large (malloc'd metadata home, 1.5 M frames) for a test boot.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/lib/meminfo.h"
#include "mm/frame.h"
#include "test/ktest/ktest.h"

KTEST_SUITE_FLAGS(mm_frame_big, KTEST_HOST_ONLY);

#define MIB 0x100000ull
#define GIB 0x40000000ull
#define STRIDE 48
#define META_HOME MIB
#define META_HOME_BYTES (4 * MIB)

static struct boot_mem_desc *descs;
static size_t ndescs;
static uint8_t *home; /* fake physical memory at META_HOME */
static struct frame_allocator fa;

static void add(uint32_t type, uint64_t start, uint64_t bytes)
{
	struct boot_mem_desc *d = (struct boot_mem_desc *)((uint8_t *)descs +
							   ndescs++ * STRIDE);
	*d = (struct boot_mem_desc){ .type = type, .phys_start = start,
				     .num_pages = bytes / FRAME_SIZE,
				     .attribute = BOOT_MEM_ATTR_WB | BOOT_MEM_ATTR_UC };
}

static void fresh(void)
{
	free(descs);
	descs = calloc(1024, STRIDE);
	ndescs = 0;
	if (!home)
		home = aligned_alloc(4096, META_HOME_BYTES);
}

static int init(void)
{
	return frame_init(&fa, descs, ndescs * STRIDE, STRIDE, NULL, 0,
			  (uintptr_t)home - META_HOME);
}

/*
 * Like OVMF with -m 6G on q35: 2 GiB low (conventional mixed with loader and
 * boot-services pieces, ACPI and reserved bits), the PCI hole, 4 GiB high.
 * Entries are appended high first, so the map is not sorted.
 */
static uint64_t ovmf_6g(uint64_t *conv_bytes, uint64_t *other_bytes)
{
	*conv_bytes = *other_bytes = 0;
	add(BOOT_MEM_CONVENTIONAL, 4 * GIB, 4 * GIB);
	*conv_bytes += 4 * GIB;
	add(BOOT_MEM_RESERVED, 0xfd00000000ull, 3 * GIB);
	add(BOOT_MEM_MMIO, 0xffc00000, 4 * MIB);
	add(BOOT_MEM_CONVENTIONAL, 0, 0xa0000);
	add(BOOT_MEM_RESERVED, 0xa0000, 0x60000);
	add(BOOT_MEM_CONVENTIONAL, MIB, 7 * MIB);
	*conv_bytes += 7 * MIB;
	add(BOOT_MEM_ACPI_NVS, 8 * MIB, 64 * 1024);
	uint64_t at = 8 * MIB + 64 * 1024;
	static const uint32_t mix[] = { BOOT_MEM_CONVENTIONAL, BOOT_MEM_BOOT_SERVICES_DATA,
					BOOT_MEM_LOADER_DATA, BOOT_MEM_BOOT_SERVICES_CODE,
					BOOT_MEM_LOADER_CODE, BOOT_MEM_RUNTIME_SERVICES_DATA };
	for (unsigned i = 0;; i++) {
		uint64_t bytes = (1 + i % 7) * 3 * MIB;
		if (at + bytes > 2 * GIB - 64 * MIB)
			break;
		uint32_t t = mix[i % 6];
		add(t, at, bytes);
		*(t == BOOT_MEM_CONVENTIONAL ? conv_bytes : other_bytes) +=
			t == BOOT_MEM_RUNTIME_SERVICES_DATA ? 0 : bytes;
		at += bytes;
	}
	add(BOOT_MEM_CONVENTIONAL, at, 2 * GIB - 64 * MIB - at);
	*conv_bytes += 2 * GIB - 64 * MIB - at;
	add(BOOT_MEM_ACPI_RECLAIM, 2 * GIB - 64 * MIB, 64 * MIB);
	return at;
}

static bool test_and_set(uint64_t *bits, uint64_t pa)
{
	uint64_t f = pa / FRAME_SIZE;
	bool was = bits[f / 64] >> (f % 64) & 1;

	bits[f / 64] |= 1ull << (f % 64);
	return was;
}

static uint32_t type_at(uint64_t pa)
{
	for (size_t i = 0; i < ndescs; i++) {
		const struct boot_mem_desc *d = meminfo_desc(descs, STRIDE, i);
		if (pa >= d->phys_start && pa < d->phys_start + d->num_pages * FRAME_SIZE)
			return d->type;
	}
	return UINT32_MAX;
}

KTEST(mm_frame_big, ovmf_6g_drain_reclaim_refill)
{
	uint64_t conv, other, pa, n = 0, dup = 0, wrong = 0;
	struct frame_stats st;

	fresh();
	ovmf_6g(&conv, &other);
	ASSERT_EQ(init(), 0);
	frame_stats(&fa, &st);
	ASSERT_LE(st.metadata_base + st.metadata_bytes, META_HOME + META_HOME_BYTES);
	ktest_diag(_kt, "%u regions, %u levels, %llu KiB metadata", st.regions, st.levels,
		   (unsigned long long)st.metadata_bytes / 1024);
	EXPECT_EQ(st.total_bytes, conv + other);
	EXPECT_EQ(st.free_bytes, conv - st.metadata_bytes);
	EXPECT_EQ(frame_highest_address(&fa), 8 * GIB);
	EXPECT_EQ(st.levels, 4);

	uint64_t *seen = calloc(8 * GIB / FRAME_SIZE / 64, 8);
	while ((pa = frame_alloc(&fa)) != 0) {
		n++;
		dup += test_and_set(seen, pa);
		wrong += type_at(pa) != BOOT_MEM_CONVENTIONAL;
	}
	EXPECT_EQ(n * FRAME_SIZE, conv - st.metadata_bytes);
	EXPECT_EQ(dup, 0);
	EXPECT_EQ(wrong, 0);
	for (uint32_t t = BOOT_MEM_LOADER_CODE; t <= BOOT_MEM_BOOT_SERVICES_DATA; t++)
		EXPECT_EQ(frame_reclaim(&fa, t), 0);
	uint64_t m = 0;
	while ((pa = frame_alloc(&fa)) != 0) {
		m++;
		dup += test_and_set(seen, pa);
		uint32_t t = type_at(pa);
		wrong += t < BOOT_MEM_LOADER_CODE || t > BOOT_MEM_BOOT_SERVICES_DATA;
	}
	EXPECT_EQ(m * FRAME_SIZE, other);
	EXPECT_EQ(dup, 0);
	EXPECT_EQ(wrong, 0);
	/* Give everything back, high addresses first. */
	uint64_t errors = 0;
	for (uint64_t f = 8 * GIB / FRAME_SIZE; f-- > 0;)
		if (seen[f / 64] >> (f % 64) & 1)
			errors += frame_free(&fa, f * FRAME_SIZE) != 0;
	EXPECT_EQ(errors, 0);
	frame_stats(&fa, &st);
	EXPECT_EQ(st.free_bytes, conv + other - st.metadata_bytes);
	EXPECT_EQ(st.used_bytes, 0);
	free(seen);
}

/* ---- random run against a model ------------------------------------------ */

static uint64_t rng_state = 0x1234567887654321ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

KTEST(mm_frame_big, random_ops_match_a_model)
{
	enum { FRAMES = 3 * 4096 }; /* model covers [0, 48 MiB) */
	static uint8_t model[FRAMES]; /* 0 never, 1 free, 2 used */
	static const struct boot_range res[] = { { 20 * MIB + 123, 70000 } };
	static uint64_t used_list[FRAMES];
	size_t nused = 0;
	uint64_t mismatches = 0;

	fresh();
	add(BOOT_MEM_CONVENTIONAL, MIB, 15 * MIB);
	add(BOOT_MEM_BOOT_SERVICES_DATA, 16 * MIB, 4 * MIB);
	add(BOOT_MEM_CONVENTIONAL, 20 * MIB, 8 * MIB);
	add(BOOT_MEM_MMIO, 24 * MIB, 64 * 1024);
	add(BOOT_MEM_CONVENTIONAL, 32 * MIB, 16 * MIB);
	ASSERT_EQ(frame_init(&fa, descs, ndescs * STRIDE, STRIDE, res, 1,
			     (uintptr_t)home - META_HOME), 0);
	for (uint64_t f = 0; f < FRAMES; f++) { /* free after init, by the rules */
		uint64_t pa = f * FRAME_SIZE;
		uint32_t t = type_at(pa);
		bool hole = pa + FRAME_SIZE > res[0].base && pa < res[0].base + res[0].size;
		hole |= pa >= 24 * MIB && pa < 24 * MIB + 64 * 1024; /* the MMIO entry */
		struct frame_stats st;
		frame_stats(&fa, &st);
		hole |= pa >= st.metadata_base && pa < st.metadata_base + st.metadata_bytes;
		model[f] = t == BOOT_MEM_CONVENTIONAL && !hole && pa >= MIB ? 1 : 0;
	}
	for (int op = 0; op < 200000; op++) {
		uint64_t r = rng(), pa;
		switch (r % 8) {
		case 0: case 1: case 2: /* alloc */
			pa = frame_alloc(&fa);
			if (pa) {
				mismatches += model[pa / FRAME_SIZE] != 1;
				model[pa / FRAME_SIZE] = 2;
				used_list[nused++] = pa;
			}
			break;
		case 3: case 4: case 5: /* free a random used frame */
			if (!nused)
				break;
			size_t i = (r >> 8) % nused;
			pa = used_list[i];
			used_list[i] = used_list[--nused];
			mismatches += frame_free(&fa, pa) != 0;
			model[pa / FRAME_SIZE] = 1;
			break;
		case 6: { /* contiguous */
			size_t count = 1 + (r >> 8) % 40, align = 1ull << ((r >> 16) % 6);
			pa = frame_alloc_contig(&fa, count, align);
			if (!pa)
				break;
			mismatches += pa / FRAME_SIZE % align != 0;
			for (size_t k = 0; k < count; k++) {
				mismatches += model[pa / FRAME_SIZE + k] != 1;
				model[pa / FRAME_SIZE + k] = 2;
				used_list[nused++] = pa + k * FRAME_SIZE;
			}
			break;
		}
		default: { /* a bad free must be refused */
			uint64_t f = (r >> 8) % FRAMES;
			int err = frame_free(&fa, f * FRAME_SIZE);
			mismatches += model[f] == 2 ? err != 0 : err == 0;
			if (model[f] == 2) { /* it was a legal free after all: re-take */
				model[f] = 1;
				for (size_t k = 0; k < nused; k++)
					if (used_list[k] == f * FRAME_SIZE)
						used_list[k] = used_list[--nused];
			}
		}
		}
	}
	uint64_t free_model = 0;
	for (uint64_t f = 0; f < FRAMES; f++) {
		free_model += model[f] == 1;
		mismatches += frame_is_used(&fa, f * FRAME_SIZE) != (model[f] == 2);
	}
	struct frame_stats st;
	frame_stats(&fa, &st);
	EXPECT_EQ(mismatches, 0);
	EXPECT_EQ(st.free_bytes, free_model * FRAME_SIZE);
	EXPECT_EQ(st.used_bytes, nused * FRAME_SIZE);
	EXPECT_GT(st.double_frees + st.foreign_frees, 1000); /* the path ran */
}

/* ---- cost does not grow with memory -------------------------------------- */

/* CPU time of this thread, not wall time: on a busy machine (CI runs this
 * beside QEMU boots on two cores) the thread may wait for a core for many
 * milliseconds, and that must not count as the allocator's cost. */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Full allocator; then, repeatedly: free the lowest frame and a high one,
 * allocate twice.  A "next free" hint would rescan the whole bitmap on the
 * second alloc each round; the tree does not.  Returns the best ns/round.
 */
static uint64_t churn_ns(uint64_t high_pa)
{
	uint64_t low_pa = frame_alloc(&fa), best = UINT64_MAX;

	while (frame_alloc(&fa))
		;
	for (int rep = 0; rep < 5; rep++) {
		uint64_t t0 = now_ns();
		for (int i = 0; i < 20000; i++) {
			frame_free(&fa, low_pa);
			frame_free(&fa, high_pa);
			frame_alloc(&fa);
			frame_alloc(&fa);
		}
		uint64_t dt = (now_ns() - t0) / 20000;
		best = dt < best ? dt : best;
	}
	return best;
}

KTEST(mm_frame_big, alloc_cost_does_not_grow_with_memory)
{
	uint64_t conv, other;

	fresh();
	add(BOOT_MEM_CONVENTIONAL, MIB, 15 * MIB); /* 3840 frames */
	ASSERT_EQ(init(), 0);
	uint64_t small = churn_ns(15 * MIB);
	fresh();
	ovmf_6g(&conv, &other); /* ~1.5 M frames */
	ASSERT_EQ(init(), 0);
	uint64_t big = churn_ns(8 * GIB - FRAME_SIZE);
	ktest_diag(_kt, "ns per round (2 frees + 2 allocs): 15 MiB %llu, 6 GiB %llu",
		   (unsigned long long)small, (unsigned long long)big);
	EXPECT_LE(big, 4 * small + 200); /* a bitmap scan would be ~400x slower */
	EXPECT_EQ(frame_alloc(&fa), 0);  /* the churn kept it full */
}
