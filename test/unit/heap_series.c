/*
 * The heap tests of the "Writing an OS" series, run on every design, plus the
 * test fixture the other heap suites share (heap_checks.c).
 *
 * Each case builds its own heap over a static arena: 256 KiB usable at first,
 * growing through a callback up to 1 MiB, so the suites run the same way on
 * the host and inside the kernel, independent of the kernel's own heap.
 */
#include "mm/heap.h"
#include "test/ktest/ktest.h"

#include "kernel/lib/string.h"

#define ARENA_BYTES (1024u * 1024u)
#define INITIAL_BYTES (256u * 1024u)

static uint8_t arena[ARENA_BYTES] __attribute__((aligned(4096)));

static struct {
	struct heap heap;
	uintptr_t end;     /* where the heap's committed range must end */
	bool fail_grow;
	unsigned grow_calls;
	unsigned log_lines;
	char last_log[200];
	unsigned errors[3];
	const void *last_error_ptr;
} fx;

static bool fixture_grow(void *ctx, uintptr_t old_end, size_t bytes)
{
	(void)ctx;
	fx.grow_calls++;
	/* The heap asks for the bytes right after what it has, in the arena. */
	if (fx.fail_grow || old_end != fx.end ||
	    old_end + bytes > (uintptr_t)arena + ARENA_BYTES)
		return false;
	fx.end += bytes;
	return true;
}

static void fixture_log(const char *line)
{
	size_t n = strlen(line);

	if (n >= sizeof(fx.last_log))
		n = sizeof(fx.last_log) - 1;
	memcpy(fx.last_log, line, n);
	fx.last_log[n] = '\0';
	fx.log_lines++;
}

static void fixture_error(struct heap *h, enum heap_error err, const void *p)
{
	(void)h;
	fx.errors[err]++;
	fx.last_error_ptr = p;
}

/* A fresh debug-mode heap over the arena; NULL if heap_init refused. */
struct heap *heap_fixture(enum heap_design d, size_t initial, size_t limit, bool grow)
{
	memset(&fx, 0, sizeof(fx));
	fx.end = (uintptr_t)arena + (initial & ~(size_t)15);
	if (heap_init(&fx.heap, d, arena, initial, limit, grow ? fixture_grow : NULL, NULL,
		      HEAP_DEBUG))
		return NULL;
	heap_set_log(&fx.heap, fixture_log);
	heap_set_error_handler(&fx.heap, fixture_error);
	return &fx.heap;
}

struct heap *heap_fixture_default(enum heap_design d)
{
	return heap_fixture(d, INITIAL_BYTES, ARENA_BYTES, true);
}

void heap_fixture_fail_grow(bool fail) { fx.fail_grow = fail; }
unsigned heap_fixture_grow_calls(void) { return fx.grow_calls; }
unsigned heap_fixture_log_lines(void) { return fx.log_lines; }
const char *heap_fixture_last_log(void) { return fx.last_log; }
unsigned heap_fixture_errors(enum heap_error e) { return fx.errors[e]; }
const void *heap_fixture_last_error_ptr(void) { return fx.last_error_ptr; }

/* heap_shrink, and the owner's side of it: the arena ends lower now. */
size_t heap_fixture_shrink(void)
{
	size_t cut = heap_shrink(&fx.heap);

	fx.end -= cut;
	return cut;
}

/* ---- the series' tests ------------------------------------------------------ */

static void simple_allocation(struct ktest *_kt, enum heap_design d)
{
	struct heap *h = heap_fixture_default(d);
	uint64_t *a, *b;

	ASSERT_NOT_NULL(h);
	a = heap_alloc(h, sizeof(*a), 0);
	b = heap_alloc(h, sizeof(*b), 0);
	ASSERT_NOT_NULL(a);
	ASSERT_NOT_NULL(b);
	EXPECT_NE((uintptr_t)a, (uintptr_t)b);
	*a = 41;
	*b = 13;
	EXPECT_EQ(*a, 41);
	EXPECT_EQ(*b, 13);
	heap_free(h, a);
	heap_free(h, b);
	EXPECT_TRUE(heap_check(h));
	EXPECT_EQ(h->live_allocs, 0);
}

/* A vector of 1000 elements grown by realloc, doubling its capacity. */
static void large_vec(struct ktest *_kt, enum heap_design d)
{
	struct heap *h = heap_fixture_default(d);
	uint64_t *v = NULL, sum = 0;
	size_t cap = 0, n = 1000;

	ASSERT_NOT_NULL(h);
	for (size_t i = 0; i < n; i++) {
		if (i == cap) {
			cap = cap ? cap * 2 : 4;
			v = heap_realloc(h, v, cap * sizeof(*v));
			ASSERT_NOT_NULL(v);
		}
		v[i] = i;
	}
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	EXPECT_EQ(sum, (uint64_t)n * (n - 1) / 2);
	heap_free(h, v);
	EXPECT_TRUE(heap_check(h));
	EXPECT_EQ(h->errors, 0);
}

/* More allocations than fit in the heap at once: only works with reuse. */
#define BOXES 20000u
#define BOX_BYTES 64u

static void many_boxes(struct ktest *_kt, enum heap_design d)
{
	struct heap *h = heap_fixture_default(d);
	struct heap_stats s;

	ASSERT_NOT_NULL(h);
	for (unsigned i = 0; i < BOXES; i++) {
		uint32_t *x = heap_alloc(h, BOX_BYTES, 0);

		ASSERT_NOT_NULL(x);
		*x = i;
		EXPECT_EQ(*x, i);
		heap_free(h, x);
	}
	heap_stats(h, &s);
	EXPECT_GT((uint64_t)BOXES * BOX_BYTES, s.limit);
	EXPECT_EQ(s.size, INITIAL_BYTES); /* reused, never grew */
	EXPECT_EQ(s.total_allocs, BOXES);
	EXPECT_TRUE(heap_check(h));
}

static void many_boxes_long_lived(struct ktest *_kt, enum heap_design d)
{
	struct heap *h = heap_fixture_default(d);
	uint32_t *long_lived;

	if (d == HEAP_BUMP)
		KTEST_EXPECT_FAILURE("bump never reuses memory while one allocation lives");
	ASSERT_NOT_NULL(h);
	long_lived = heap_alloc(h, sizeof(*long_lived), 0);
	ASSERT_NOT_NULL(long_lived);
	*long_lived = 1;
	for (unsigned i = 0; i < BOXES; i++) {
		uint32_t *x = heap_alloc(h, BOX_BYTES, 0);

		ASSERT_NOT_NULL(x);
		*x = i;
		heap_free(h, x);
	}
	EXPECT_EQ(*long_lived, 1);
	heap_free(h, long_lived);
	EXPECT_TRUE(heap_check(h));
}

/* One case per line: ktest orders (and tells apart) the cases of a suite by
 * line, so they cannot come from one macro expansion. */
KTEST_SUITE(heap_bump);
KTEST(heap_bump, simple_allocation) { simple_allocation(_kt, HEAP_BUMP); }
KTEST(heap_bump, large_vec) { large_vec(_kt, HEAP_BUMP); }
KTEST(heap_bump, many_boxes) { many_boxes(_kt, HEAP_BUMP); }
KTEST(heap_bump, many_boxes_long_lived) { many_boxes_long_lived(_kt, HEAP_BUMP); }

KTEST_SUITE(heap_list);
KTEST(heap_list, simple_allocation) { simple_allocation(_kt, HEAP_LIST); }
KTEST(heap_list, large_vec) { large_vec(_kt, HEAP_LIST); }
KTEST(heap_list, many_boxes) { many_boxes(_kt, HEAP_LIST); }
KTEST(heap_list, many_boxes_long_lived) { many_boxes_long_lived(_kt, HEAP_LIST); }

KTEST_SUITE(heap_block);
KTEST(heap_block, simple_allocation) { simple_allocation(_kt, HEAP_BLOCK); }
KTEST(heap_block, large_vec) { large_vec(_kt, HEAP_BLOCK); }
KTEST(heap_block, many_boxes) { many_boxes(_kt, HEAP_BLOCK); }
KTEST(heap_block, many_boxes_long_lived) { many_boxes_long_lived(_kt, HEAP_BLOCK); }
