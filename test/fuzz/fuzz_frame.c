/*
 * libFuzzer target: mm/frame over a fuzzed memory map and a fuzzed sequence
 * of operations, checked against the map itself.
 *
 * Input: [stride][ndescs][nreserved] ndescs x 9-byte descriptors,
 * nreserved x 6-byte ranges, then one op per byte (some ops read more).
 * Descriptors lie below 16.25 GiB, or are deliberately broken (sizes and
 * ends that overflow, starts above 2^52).  "Physical memory" is a 17 GiB
 * lazily-backed anonymous mapping, so wherever the metadata lands it is
 * really written (and so are the caches' tags in the frames they hold); the
 * pages are dropped again after each run.
 *
 * Invariants: a frame is never handed out twice; every frame handed out is
 * at or above 1 MiB, owned by a usable descriptor of a released type (the
 * most restrictive usable type covering it; attributes decide what is
 * usable: write-back, not specific-purpose, not runtime), clear of every
 * other descriptor, reserved range and the metadata; contiguous runs
 * are aligned; freeing what we hold succeeds, anything else is refused; the
 * stats add up.
 *
 * The per-CPU frame caches (mm/frame_cache.h) sit in front of the pool, and
 * ops allocate and free through them on four CPUs in turn (one thread:
 * the lock is a no-op): a frame parked in a cache is neither held nor
 * handed out again while parked, a second free of it is refused, the pool
 * never reports out of memory while a cache holds frames, and the stats
 * count cached frames as free.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kernel/lib/meminfo.h"
#include "mm/frame.h"
#include "mm/frame_cache.h"
#include "test/host/fake_hal.h"

#define PHYS_SPAN (17ull << 30)
#define MAX_DESCS 64
#define MAX_HELD 4096

static uint8_t *phys;
static uint8_t map[MAX_DESCS * 64] __attribute__((aligned(8)));
static struct boot_range res[4];
static size_t ndescs, nres;
static uint64_t stride;
static uint64_t held[MAX_HELD];
static size_t nheld;
static uint64_t held_bits[PHYS_SPAN / FRAME_SIZE / 64]; /* the same, by frame */
static uint32_t released;
static struct frame_allocator fa;
static struct frame_cache fc;
static struct frame_stats st;

static void no_lock(void) {}

struct input {
	const uint8_t *p;
	size_t left;
};

static uint64_t take(struct input *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes && in->left; i++, in->left--)
		v |= (uint64_t)*in->p++ << (8 * i);
	return v;
}

static bool usable(uint32_t t)
{
	return t == BOOT_MEM_CONVENTIONAL || (t >= BOOT_MEM_LOADER_CODE &&
					       t <= BOOT_MEM_BOOT_SERVICES_DATA);
}

/* What the attributes make of a type (frame.h). */
static uint32_t effective(const struct boot_mem_desc *d)
{
	if (!usable(d->type))
		return d->type;
	if (!(d->attribute & BOOT_MEM_ATTR_WB) || (d->attribute & BOOT_MEM_ATTR_SP))
		return BOOT_MEM_RESERVED;
	return d->attribute & BOOT_MEM_ATTR_RUNTIME ? BOOT_MEM_RUNTIME_SERVICES_DATA : d->type;
}

/* Loader data outlives boot-services data outlives conventional memory. */
static unsigned rank(uint32_t t)
{
	unsigned r = t == BOOT_MEM_LOADER_CODE || t == BOOT_MEM_LOADER_DATA ? 2
		     : t == BOOT_MEM_BOOT_SERVICES_CODE || t == BOOT_MEM_BOOT_SERVICES_DATA ? 1 : 0;
	return r * 100 + t;
}

static void read_desc(struct input *in, struct boot_mem_desc *d)
{
	uint64_t t = take(in, 1), flags = take(in, 1), attr = take(in, 1);
	uint64_t start = take(in, 2) << 18, pages = take(in, 2), off = take(in, 2);

	memset(d, 0xee, stride);
	d->type = t % 18 < 16 ? (uint32_t)(t % 18) : t % 18 == 16 ? 0x80000001u : 0x70000000u;
	if (flags & 1)
		start += off; /* not page aligned */
	if (flags & 2)
		pages = (UINT64_MAX >> 12) + 1 + off; /* size overflows */
	if (flags & 4)
		start = UINT64_MAX - off * 4096; /* end overflows, or 0 pages up high */
	if (flags & 8)
		start = (1ull << 52) + (start & 0xffffffff); /* above MAXPHYADDR */
	d->phys_start = start;
	d->num_pages = pages;
	d->virt_start = 0;
	/* Mostly plain RAM attributes; sometimes no WB, SP or RUNTIME. */
	d->attribute = (attr & 0x10 ? 0 : BOOT_MEM_ATTR_WB) | BOOT_MEM_ATTR_UC |
		       (attr & 0x20 ? BOOT_MEM_ATTR_SP : 0) |
		       (attr & 0x40 ? BOOT_MEM_ATTR_RUNTIME : 0);
}

static bool hits(uint64_t pa, uint64_t base, uint64_t size)
{
	return size && base < pa + FRAME_SIZE && pa < base + size && base + size > base;
}

/* The invariants for one frame we were just given. */
static void check_frame(uint64_t pa)
{
	uint32_t owner = UINT32_MAX;

	if (pa % FRAME_SIZE || pa < FRAME_LOW_LIMIT || pa >= PHYS_SPAN)
		abort();
	if (hits(pa, st.metadata_base, st.metadata_bytes))
		abort();
	for (size_t i = 0; i < nres; i++)
		if (hits(pa, res[i].base, res[i].size))
			abort();
	for (size_t i = 0; i < ndescs; i++) {
		const struct boot_mem_desc *d = meminfo_desc(map, stride, i);
		uint64_t end;
		if (d->num_pages > (UINT64_MAX >> 12) ||
		    __builtin_add_overflow(d->phys_start, d->num_pages << 12, &end))
			continue;
		uint32_t t = effective(d);
		if (!usable(t) && hits(pa, d->phys_start, end - d->phys_start))
			abort();
		if (usable(t) && d->phys_start <= pa && pa + FRAME_SIZE <= end &&
		    (owner == UINT32_MAX || rank(t) > rank(owner)))
			owner = t;
	}
	if (owner == UINT32_MAX || !(released >> owner & 1))
		abort();
	if (held_bits[pa / FRAME_SIZE / 64] >> (pa / FRAME_SIZE % 64) & 1)
		abort(); /* handed out twice */
}

static void set_held(uint64_t pa, bool on)
{
	uint64_t bit = 1ull << (pa / FRAME_SIZE % 64);

	held_bits[pa / FRAME_SIZE / 64] = on ? held_bits[pa / FRAME_SIZE / 64] | bit
					     : held_bits[pa / FRAME_SIZE / 64] & ~bit;
}

static void hold(uint64_t pa)
{
	check_frame(pa);
	if (nheld < MAX_HELD) {
		held[nheld++] = pa;
		set_held(pa, true);
	}
	else if (frame_free(&fa, pa)) /* no room to track: give it straight back */
		abort();
}

static void op_contig(struct input *in)
{
	size_t count = 1 + take(in, 1) % 40, align = 1u << (take(in, 1) % 7);
	uint64_t pa = frame_alloc_contig(&fa, count, align);

	if (!pa)
		return;
	if ((pa / FRAME_SIZE) % align)
		abort();
	for (size_t i = 0; i < count; i++)
		hold(pa + i * FRAME_SIZE);
}

static void op_free_held(struct input *in)
{
	if (!nheld)
		return;
	size_t i = take(in, 2) % nheld;
	if (frame_free(&fa, held[i]) != 0)
		abort();
	set_held(held[i], false);
	held[i] = held[--nheld];
}

static void op_free_any(struct input *in)
{
	uint64_t pa = take(in, 3) << 12;

	if (pa < PHYS_SPAN && (held_bits[pa / FRAME_SIZE / 64] >> (pa / FRAME_SIZE % 64) & 1))
		return; /* a legal free: op_free_held's job */
	if (frame_free(&fa, pa) == 0)
		abort();
}

static void on_cpu(struct input *in)
{
	fake_hal_set_cpu((unsigned)take(in, 1) % 4);
}

static void op_cache_alloc(struct input *in)
{
	on_cpu(in);
	uint64_t pa = frame_cache_alloc(&fc);
	if (pa)
		hold(pa);
	else if (fa.free_frames || frame_cache_count(&fc))
		abort(); /* out of memory with free or cached frames */
}

static void op_cache_free_held(struct input *in)
{
	if (!nheld)
		return;
	size_t i = take(in, 2) % nheld;
	on_cpu(in);
	if (frame_cache_free(&fc, held[i]) != 0 || frame_is_used(&fa, held[i]) ||
	    !frame_is_free(&fa, held[i]))
		abort();
	set_held(held[i], false);
	held[i] = held[--nheld];
}

/* A free through a cache of anything we do not hold (a frame parked in a
 * cache included) is refused, and changes nothing. */
static void op_cache_free_any(struct input *in)
{
	uint64_t pa = take(in, 3) << 12, cached = frame_cache_count(&fc);

	if (pa < PHYS_SPAN && (held_bits[pa / FRAME_SIZE / 64] >> (pa / FRAME_SIZE % 64) & 1))
		return;
	on_cpu(in);
	if (frame_cache_free(&fc, pa) == 0 || frame_cache_count(&fc) != cached)
		abort();
}

/* Cheap per-op accounting; the full frame_stats() walk runs once at the end. */
static void check_counts(void)
{
	uint64_t cached = frame_cache_count(&fc);

	if (fa.used_frames != nheld + cached || fa.free_frames + fa.used_frames > fa.nbits ||
	    frame_available(&fa) != fa.free_frames + cached)
		abort();
}

static void check_stats(void)
{
	struct frame_stats s;
	uint64_t by_type = 0;

	frame_stats(&fa, &s);
	for (unsigned t = 0; t < BOOT_MEM_TYPE_COUNT; t++)
		by_type += s.free_by_type[t];
	if (s.used_bytes != nheld * FRAME_SIZE || by_type + s.cached_bytes != s.free_bytes ||
	    s.cached_bytes != frame_cache_count(&fc) * FRAME_SIZE ||
	    s.free_bytes + s.used_bytes + s.reserved_bytes != s.total_bytes)
		abort();
}

static void run_ops(struct input *in)
{
	while (in->left) {
		uint64_t pa;
		switch (take(in, 1) % 13) {
		case 0: case 1:
			if ((pa = frame_alloc(&fa)) != 0)
				hold(pa);
			else if (fa.free_frames || frame_cache_count(&fc))
				abort(); /* out of memory with free or cached frames */
			break;
		case 2: op_contig(in); break;
		case 3: op_free_held(in); break;
		case 4: op_free_any(in); break;
		case 5: case 6: op_cache_alloc(in); break;
		case 7: case 8: op_cache_free_held(in); break;
		case 9: op_cache_free_any(in); break;
		case 10:
			frame_cache_reclaim(&fc);
			if (frame_cache_count(&fc))
				abort();
			break;
		default: {
			uint32_t t = (uint32_t)take(in, 1) % 6;
			int err = frame_reclaim(&fa, t);
			if ((t >= BOOT_MEM_LOADER_CODE && t <= BOOT_MEM_BOOT_SERVICES_DATA) != !err)
				abort();
			if (!err)
				released |= 1u << t;
		}
		}
		check_counts();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t strides[] = { 40, 48, 64, 32 }; /* 32: too small */
	struct input in = { data, size };

	if (!phys) {
		phys = mmap(NULL, PHYS_SPAN, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (phys == MAP_FAILED)
			abort();
	}
	stride = strides[take(&in, 1) % 4];
	ndescs = take(&in, 1) % MAX_DESCS;
	nres = take(&in, 1) % 4;
	for (size_t i = 0; i < ndescs; i++)
		read_desc(&in, (struct boot_mem_desc *)(map + i * stride));
	for (size_t i = 0; i < nres; i++)
		res[i] = (struct boot_range){ take(&in, 3) << 12 | take(&in, 1),
					      take(&in, 2) << 8 };
	nheld = 0;
	released = 1u << BOOT_MEM_CONVENTIONAL;
	int err = frame_init(&fa, map, ndescs * stride, stride, res, nres, (uintptr_t)phys);
	if (err) {
		if (err != FRAME_ERR_DESC_SIZE && err != FRAME_ERR_NO_MEMORY)
			abort();
		return 0;
	}
	frame_cache_init(&fc, &fa, no_lock, no_lock);
	frame_stats(&fa, &st);
	if (st.metadata_base + st.metadata_bytes > PHYS_SPAN)
		abort();
	run_ops(&in);
	check_stats();
	for (size_t i = 0; i < nheld; i++)
		set_held(held[i], false);
	/* The metadata, and the frames the caches tagged: drop them all. */
	madvise(phys, PHYS_SPAN, MADV_DONTNEED);
	return 0;
}
