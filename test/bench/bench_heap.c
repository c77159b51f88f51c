/*
 * Heap benchmark: ns per alloc+free pair for each design and size, a mixed
 * trace (random sizes and lifetimes, fixed seed), and pairs in a fragmented
 * heap (10,000 free holes that do not fit the request), with glibc malloc and
 * mimalloc measured in the same run as yardsticks.  Median of REPS runs after
 * a warm-up (runs interleaved across allocators); designs run with
 * HEAP_DEBUG off unless the name says `debug`.
 */
#include "mm/heap.h"
#include "test/ktest/ktest.h"

#include <mimalloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#define REPS 11
#define PAIRS 2000000u
#define MIXED_OPS 1000000u
#define SLOTS 1024u
#define PHASE 65536u /* the mixed trace frees everything this often */
#define ARENA_BYTES (1ul << 30)

void *volatile bench_sink; /* stops the compiler from eliding malloc/free pairs */

struct allocator {
	const char *name;
	void *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *p);
	void *ctx;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool arena_grow(void *ctx, uintptr_t old_end, size_t bytes)
{
	(void)ctx, (void)old_end, (void)bytes;
	return true; /* the arena is reserved up front; the OS maps on touch */
}

static void *heap_a(void *ctx, size_t size) { return heap_alloc(ctx, size, 0); }
static void heap_f(void *ctx, void *p) { heap_free(ctx, p); }
static void *libc_a(void *ctx, size_t size) { (void)ctx; return malloc(size); }
static void libc_f(void *ctx, void *p) { (void)ctx; free(p); }
static void *mi_a(void *ctx, size_t size) { (void)ctx; return mi_malloc(size); }
static void mi_f(void *ctx, void *p) { (void)ctx; mi_free(p); }

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double median(uint64_t *v, unsigned n, unsigned ops)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return (double)v[n / 2] / ops;
}

/* The pair loop calls through function pointers for every allocator alike;
 * __attribute__((noinline)) keeps it one loop for all of them. */
static __attribute__((noinline)) uint64_t run_pairs(const struct allocator *a, size_t size)
{
	uint64_t t0 = now_ns();

	for (unsigned i = 0; i < PAIRS; i++) {
		void *p = a->alloc(a->ctx, size);

		bench_sink = p;
		a->free(a->ctx, p);
	}
	return now_ns() - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * ns per pair for every allocator at one size, and the ratio of allocator x
 * to allocator y (the median of the ratios of each repetition).  The
 * repetitions interleave the allocators, so a noisy neighbour on the machine
 * slows all of them alike and the ratios stay fair; taking each
 * repetition's ratio keeps load that shifts between repetitions out of it.
 */
static void pairs_ns(const struct allocator *all, unsigned n, size_t size, double *out,
		     unsigned x, unsigned y, double *ratio)
{
	uint64_t t[8][REPS];
	double r[REPS];

	for (unsigned a = 0; a < n; a++)
		run_pairs(&all[a], size); /* warm-up */
	for (unsigned k = 0; k < REPS; k++)
		for (unsigned a = 0; a < n; a++)
			t[a][k] = run_pairs(&all[a], size);
	for (unsigned k = 0; k < REPS; k++)
		r[k] = (double)t[x][k] / (double)t[y][k];
	qsort(r, REPS, sizeof r[0], cmp_double);
	*ratio = r[REPS / 2];
	for (unsigned a = 0; a < n; a++)
		out[a] = median(t[a], REPS, PAIRS);
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static size_t mixed_size(uint64_t *s)
{
	unsigned r = (unsigned)(rng_next(s) % 100);

	if (r < 70)
		return 16 + rng_next(s) % 112;
	if (r < 95)
		return 128 + rng_next(s) % 896;
	return 1024 + rng_next(s) % 7168;
}

static __attribute__((noinline)) uint64_t run_mixed(const struct allocator *a)
{
	static void *slot[SLOTS];
	uint64_t seed = 0x853c49e6748fea9bull, t0 = now_ns();

	for (unsigned i = 0; i < MIXED_OPS; i++) {
		unsigned k = (unsigned)(rng_next(&seed) % SLOTS);

		if (slot[k]) {
			a->free(a->ctx, slot[k]);
			slot[k] = NULL;
		} else {
			slot[k] = a->alloc(a->ctx, mixed_size(&seed));
			if (!slot[k])
				abort();
			*(char *)slot[k] = 1;
		}
		if (i % PHASE == PHASE - 1) {
			for (unsigned j = 0; j < SLOTS; j++)
				if (slot[j])
					a->free(a->ctx, slot[j]), slot[j] = NULL;
		}
	}
	for (unsigned j = 0; j < SLOTS; j++)
		if (slot[j])
			a->free(a->ctx, slot[j]), slot[j] = NULL;
	return now_ns() - t0;
}

static double mixed_ns(const struct allocator *a)
{
	uint64_t t[REPS];

	run_mixed(a);
	for (unsigned r = 0; r < REPS; r++)
		t[r] = run_mixed(a);
	return median(t, REPS, MIXED_OPS);
}

/*
 * 20,000 64-byte blocks with every other one freed: 10,000 holes no 2000-byte
 * request fits.  A design whose alloc or free walks its free list pays for
 * every hole on every pair.
 */
#define HOLES 10000u
#define FRAG_SIZE 2000u
#define FRAG_PAIRS 20000u /* a list walk of 10,000 holes per pair is slow */

static __attribute__((noinline)) uint64_t run_frag_pairs(const struct allocator *a)
{
	uint64_t t0 = now_ns();

	for (unsigned i = 0; i < FRAG_PAIRS; i++) {
		void *p = a->alloc(a->ctx, FRAG_SIZE);

		bench_sink = p;
		a->free(a->ctx, p);
	}
	return now_ns() - t0;
}

static double fragmented_ns(const struct allocator *a)
{
	static void *blocks[2 * HOLES];
	uint64_t t[REPS];

	for (unsigned i = 0; i < 2 * HOLES; i++)
		if (!(blocks[i] = a->alloc(a->ctx, 64)))
			abort();
	for (unsigned i = 0; i < 2 * HOLES; i += 2)
		a->free(a->ctx, blocks[i]);
	run_frag_pairs(a);
	for (unsigned r = 0; r < REPS; r++)
		t[r] = run_frag_pairs(a);
	for (unsigned i = 1; i < 2 * HOLES; i += 2)
		a->free(a->ctx, blocks[i]);
	return median(t, REPS, FRAG_PAIRS);
}

static struct heap heaps[HEAP_DESIGN_COUNT + 1];

static void make_heap(struct heap *h, enum heap_design d, unsigned flags)
{
	void *arena = mmap(NULL, ARENA_BYTES, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (arena == MAP_FAILED ||
	    heap_init(h, d, arena, 1 << 20, ARENA_BYTES, arena_grow, NULL, flags)) {
		fprintf(stderr, "bench_heap: cannot set up the %s heap\n", heap_design_name(d));
		exit(1);
	}
}

int main(void)
{
	static const size_t sizes[] = { 16, 48, 64, 256, 1024, 4096 };
	enum { NSIZES = sizeof sizes / sizeof sizes[0] };
	struct allocator all[HEAP_DESIGN_COUNT + 3];
	double pair[HEAP_DESIGN_COUNT + 3][NSIZES];
	unsigned n = 0, mi = 0;

	for (unsigned d = 0; d < HEAP_DESIGN_COUNT; d++) {
		make_heap(&heaps[d], (enum heap_design)d, 0);
		all[n++] = (struct allocator){ heap_design_name(d), heap_a, heap_f, &heaps[d] };
	}
	make_heap(&heaps[HEAP_DESIGN_COUNT], HEAP_BLOCK, HEAP_DEBUG);
	all[n++] = (struct allocator){ "block_debug", heap_a, heap_f, &heaps[HEAP_DESIGN_COUNT] };
	all[n++] = (struct allocator){ "glibc", libc_a, libc_f, NULL };
	mi = n;
	all[n++] = (struct allocator){ "mimalloc", mi_a, mi_f, NULL };

	for (unsigned s = 0; s < NSIZES; s++) {
		double ns[8], ratio;

		pairs_ns(all, n, sizes[s], ns, HEAP_BLOCK, mi, &ratio);
		for (unsigned a = 0; a < n; a++) {
			pair[a][s] = ns[a];
			printf("BENCH heap_%s_pair_%zu %.2f ns\n", all[a].name, sizes[s], ns[a]);
		}
		printf("BENCH heap_ratio_block_vs_mimalloc_%zu %.3f ratio\n", sizes[s], ratio);
		printf("BENCH heap_ratio_block_vs_glibc_%zu %.2f ratio\n", sizes[s],
		       pair[HEAP_BLOCK][s] / pair[mi - 1][s]);
	}
	for (unsigned a = 0; a < n; a++)
		printf("BENCH heap_%s_mixed %.2f ns\n", all[a].name, mixed_ns(&all[a]));
	for (unsigned a = 0; a < n; a++)
		if (a != HEAP_BUMP) /* bump cannot free a hole */
			printf("BENCH heap_%s_pair_fragmented %.2f ns\n", all[a].name,
			       fragmented_ns(&all[a]));
	return 0;
}
