/*
 * pagetable.c — building and editing x86-64 4- and 5-level page tables.
 *
 * Every operation is a recursion over one table at a time: the range is cut
 * into the pieces each entry covers, and a piece either is a whole leaf or
 * goes one level down.  Ranges are carried as [va, last] (inclusive) so the
 * top page of the address space does not overflow.  Levels are numbered as
 * the SDM does: 5 = PML5, 4 = PML4, 3 = PDPT, 2 = PD, 1 = PT; the root is
 * level pt->levels.
 */
#include "mm/pagetable.h"

#include "kernel/lib/string.h"

#define ENTRIES 512
#define PHYS_LIMIT (1ull << 52)
#define KEEP_HIGH 0x7ff0000000000000ull /* ignored / protection-key bits */
#define ALL_FLAGS (PT_WRITE | PT_EXEC | PT_USER | PT_GLOBAL | PT_WC | PT_UC)

static uint64_t span(int level)
{
	return 1ull << (12 + 9 * (level - 1));
}

static unsigned index_of(uint64_t va, int level)
{
	return (va >> (12 + 9 * (level - 1))) & (ENTRIES - 1);
}

static uint64_t *table(const struct pt_ctx *pt, uint64_t pa)
{
	return (uint64_t *)(uintptr_t)(pa + pt->phys_offset);
}

static bool is_leaf(uint64_t e, int level)
{
	return (e & PTE_P) && (level == 1 || ((level == 2 || level == 3) && (e & PTE_PS)));
}

/* The frame a leaf of @level maps (large leaves keep PAT in bit 12). */
static uint64_t leaf_addr(uint64_t e, int level)
{
	return e & PTE_ADDR_MASK & ~(span(level) - 1);
}

static int top(const struct pt_ctx *pt)
{
	return pt->levels == 5 ? 5 : 4;
}

/* Virtual address bits: 48 with 4 levels, 57 with 5. */
static unsigned va_bits(const struct pt_ctx *pt)
{
	return 12 + 9 * (unsigned)top(pt);
}

static bool canonical(const struct pt_ctx *pt, uint64_t va)
{
	uint64_t half = 1ull << (va_bits(pt) - 1);

	return va < half || va >= ~(half - 1);
}

static void invalidate(struct pt_ctx *pt, uint64_t va)
{
	if (pt->invalidate)
		pt->invalidate(pt->ctx, (uintptr_t)va);
}

static uint64_t new_table(struct pt_ctx *pt)
{
	uint64_t pa = pt->alloc_table(pt->ctx);

	if (pa)
		memset(table(pt, pa), 0, PT_PAGE_4K);
	return pa;
}

static void free_table(struct pt_ctx *pt, uint64_t pa)
{
	if (pt->free_table)
		pt->free_table(pt->ctx, pa);
}

uint64_t pt_leaf_bits(unsigned flags, uint64_t page_size)
{
	uint64_t e = PTE_P;

	e |= flags & PT_WRITE ? PTE_RW : 0;
	e |= flags & PT_USER ? PTE_US : 0;
	e |= flags & PT_GLOBAL ? PTE_G : 0;
	e |= flags & PT_EXEC ? 0 : PTE_NX;
	e |= flags & PT_WC ? PTE_PWT : 0;
	e |= flags & PT_UC ? PTE_PCD | PTE_PWT : 0;
	e |= page_size > PT_PAGE_4K ? PTE_PS : 0;
	return e;
}

static unsigned leaf_flags(uint64_t e, int level)
{
	uint64_t pat = level == 1 ? PTE_PAT_4K : PTE_PAT_LARGE;
	unsigned f = 0;

	f |= e & PTE_RW ? PT_WRITE : 0;
	f |= e & PTE_US ? PT_USER : 0;
	f |= e & PTE_G ? PT_GLOBAL : 0;
	f |= e & PTE_NX ? 0 : PT_EXEC;
	if ((e & (PTE_PWT | PTE_PCD | pat)) == PTE_PWT)
		f |= PT_WC;
	if ((e & (PTE_PWT | PTE_PCD | pat)) == (PTE_PWT | PTE_PCD))
		f |= PT_UC;
	return f;
}

static bool table_empty(const uint64_t *t)
{
	for (unsigned i = 0; i < ENTRIES; i++)
		if (t[i] & PTE_P)
			return false;
	return true;
}

/* The part of [va, last] that entry @i of a level-@level table covers.
 * [va, last] lies inside the table, so entries index_of(va)..index_of(last)
 * are the ones to visit. */
struct piece {
	unsigned idx;
	uint64_t a, last;
};

static struct piece piece_at(uint64_t va, uint64_t last, int level, unsigned i)
{
	uint64_t table_base = va & ~(span(level) * ENTRIES - 1); /* keeps sign bits */
	uint64_t a = i == index_of(va, level) ? va : table_base + i * span(level);
	uint64_t end = a | (span(level) - 1);

	return (struct piece){ i, a, end < last ? end : last };
}

/* ---- checking ranges ----------------------------------------------------- */

static bool valid_range(const struct pt_ctx *pt, uint64_t va, uint64_t size, uint64_t *last)
{
	unsigned sign = va_bits(pt) - 1;

	if (!size || (va | size) % PT_PAGE_4K || __builtin_add_overflow(va, size - 1, last))
		return false;
	return canonical(pt, va) && canonical(pt, *last) && (va >> sign) == (*last >> sign);
}

static bool valid_flags(unsigned flags)
{
	return !(flags & ~ALL_FLAGS) && (flags & (PT_WC | PT_UC)) != (PT_WC | PT_UC);
}

/* Bytes of [va, last] that some leaf maps. */
static uint64_t mapped_bytes(const struct pt_ctx *pt, uint64_t tpa, int level, uint64_t va,
			     uint64_t last)
{
	const uint64_t *t = table(pt, tpa);
	uint64_t n = 0;

	for (unsigned i = index_of(va, level); i <= index_of(last, level); i++) {
		struct piece p = piece_at(va, last, level, i);
		if (!(t[p.idx] & PTE_P))
			continue;
		if (is_leaf(t[p.idx], level))
			n += p.last - p.a + 1;
		else if (level > 1)
			n += mapped_bytes(pt, t[p.idx] & PTE_ADDR_MASK, level - 1, p.a, p.last);
	}
	return n;
}

/* ---- mapping ------------------------------------------------------------- */

/* The table under *@e, made if absent. */
static uint64_t child_table(struct pt_ctx *pt, uint64_t *e, unsigned flags)
{
	uint64_t user = flags & PT_USER ? PTE_US : 0;

	if (!(*e & PTE_P)) {
		uint64_t pa = new_table(pt);
		if (!pa)
			return 0;
		*e = pa | PTE_P | PTE_RW;
	}
	*e |= user;
	return *e & PTE_ADDR_MASK;
}

/* Whether piece @p mapping to @pa can be one leaf at @level. */
static bool leaf_fits(const struct pt_ctx *pt, int level, struct piece p, uint64_t pa)
{
	if (level == 1)
		return true;
	if (level == 3 && !pt->allow_1g)
		return false;
	return (level == 2 || level == 3) && p.last - p.a + 1 == span(level) &&
	       pa % span(level) == 0;
}

static int map_range(struct pt_ctx *pt, uint64_t tpa, int level, uint64_t va,
		     uint64_t last, uint64_t pa, unsigned flags)
{
	uint64_t *t = table(pt, tpa);

	for (unsigned i = index_of(va, level); i <= index_of(last, level); i++) {
		struct piece p = piece_at(va, last, level, i);
		uint64_t to = pa + (p.a - va);
		if (leaf_fits(pt, level, p, to)) {
			t[p.idx] = to | pt_leaf_bits(flags, span(level));
			continue;
		}
		uint64_t child = child_table(pt, &t[p.idx], flags);
		if (!child)
			return PT_ERR_NOMEM;
		int err = map_range(pt, child, level - 1, p.a, p.last, to, flags);
		if (err)
			return err;
	}
	return PT_OK;
}

int pt_map(struct pt_ctx *pt, uintptr_t va, uint64_t pa, uint64_t size, unsigned flags)
{
	uint64_t last;

	if (!valid_range(pt, va, size, &last) || pa % PT_PAGE_4K || pa >= PHYS_LIMIT ||
	    size > PHYS_LIMIT - pa || !valid_flags(flags))
		return PT_ERR_INVAL;
	if (mapped_bytes(pt, pt->root, top(pt), va, last))
		return PT_ERR_EXISTS;
	int err = map_range(pt, pt->root, top(pt), va, last, pa, flags);
	if (err)
		pt_unmap(pt, va, size); /* the range was empty: this removes only ours */
	return err;
}

/* ---- splitting, unmapping, protecting ------------------------------------ */

/* Replaces the large leaf *@e of @level by a table of 512 leaves one level
 * down that map the same frames the same way. */
static int split(struct pt_ctx *pt, uint64_t *e, int level)
{
	uint64_t tpa = new_table(pt), *t, base = leaf_addr(*e, level);
	uint64_t low = *e & 0xfffull & ~PTE_PS, high = *e & (KEEP_HIGH | PTE_NX);
	bool pat = *e & PTE_PAT_LARGE;

	if (!tpa)
		return PT_ERR_NOMEM;
	t = table(pt, tpa);
	for (unsigned i = 0; i < ENTRIES; i++) {
		uint64_t child = base + i * span(level - 1);
		if (level - 1 == 1)
			t[i] = child | low | high | (pat ? PTE_PAT_4K : 0);
		else
			t[i] = child | low | high | PTE_PS | (pat ? PTE_PAT_LARGE : 0);
	}
	*e = tpa | PTE_P | PTE_RW | (*e & PTE_US);
	return PT_OK;
}

/* What to do with a whole leaf: remove it, or rewrite its flags. */
struct edit {
	bool unmap;
	unsigned flags;
};

static void edit_leaf(struct pt_ctx *pt, uint64_t *e, int level, uint64_t a,
		      const struct edit *ed)
{
	if (ed->unmap)
		*e = 0;
	else
		*e = leaf_addr(*e, level) | (*e & (PTE_A | PTE_D)) |
		     pt_leaf_bits(ed->flags, span(level));
	invalidate(pt, a);
}

static int edit_range(struct pt_ctx *pt, uint64_t tpa, int level, uint64_t va,
		      uint64_t last, const struct edit *ed)
{
	uint64_t *t = table(pt, tpa);

	for (unsigned i = index_of(va, level); i <= index_of(last, level); i++) {
		struct piece p = piece_at(va, last, level, i);
		if (!(t[p.idx] & PTE_P))
			continue;
		bool whole = p.last - p.a + 1 == span(level);
		if (is_leaf(t[p.idx], level) && whole) {
			edit_leaf(pt, &t[p.idx], level, p.a, ed);
			continue;
		}
		if (is_leaf(t[p.idx], level) && split(pt, &t[p.idx], level))
			return PT_ERR_NOMEM;
		uint64_t child = t[p.idx] & PTE_ADDR_MASK;
		int err = edit_range(pt, child, level - 1, p.a, p.last, ed);
		if (ed->unmap && table_empty(table(pt, child))) {
			/* The CPU may hold the cleared entry in its paging-structure
			 * caches and walk the old table through it: an invalidation
			 * (INVLPG drops those caches whatever the address, SDM vol. 3
			 * 4.10.4.1) must come between the clear and the free. */
			t[p.idx] = 0;
			invalidate(pt, p.a);
			free_table(pt, child);
		}
		if (err)
			return err;
	}
	return PT_OK;
}

int pt_unmap(struct pt_ctx *pt, uintptr_t va, uint64_t size)
{
	struct edit ed = { .unmap = true };
	uint64_t last;

	if (!valid_range(pt, va, size, &last))
		return PT_ERR_INVAL;
	return edit_range(pt, pt->root, top(pt), va, last, &ed);
}

int pt_protect(struct pt_ctx *pt, uintptr_t va, uint64_t size, unsigned flags)
{
	struct edit ed = { .unmap = false, .flags = flags };
	uint64_t last;

	if (!valid_range(pt, va, size, &last) || !valid_flags(flags))
		return PT_ERR_INVAL;
	if (mapped_bytes(pt, pt->root, top(pt), va, last) != size)
		return PT_ERR_NOT_MAPPED;
	return edit_range(pt, pt->root, top(pt), va, last, &ed);
}

/* ---- reading ------------------------------------------------------------- */

bool pt_translate(const struct pt_ctx *pt, uintptr_t va, uint64_t *pa, unsigned *flags,
		  uint64_t *page_size)
{
	uint64_t tpa = pt->root;

	if (!canonical(pt, va))
		return false;
	for (int level = top(pt); level >= 1; level--) {
		uint64_t e = table(pt, tpa)[index_of(va, level)];
		if (!(e & PTE_P))
			return false;
		if (is_leaf(e, level)) {
			if (pa)
				*pa = leaf_addr(e, level) + (va & (span(level) - 1));
			if (flags)
				*flags = leaf_flags(e, level);
			if (page_size)
				*page_size = span(level);
			return true;
		}
		tpa = e & PTE_ADDR_MASK;
	}
	return false;
}

static void walk_table(const struct pt_ctx *pt, uint64_t tpa, int level, uint64_t base,
		       pt_walk_fn fn, void *ctx)
{
	const uint64_t *t = table(pt, tpa);

	for (unsigned i = 0; i < ENTRIES; i++) {
		uint64_t va = base + i * span(level), e = t[i];
		if (level == top(pt) && i >= ENTRIES / 2)
			va |= ~0ull << va_bits(pt); /* sign-extend the top bit */
		if (!(e & PTE_P))
			continue;
		if (is_leaf(e, level))
			fn(ctx, (uintptr_t)va, leaf_addr(e, level), span(level),
			   leaf_flags(e, level));
		else if (level > 1)
			walk_table(pt, e & PTE_ADDR_MASK, level - 1, va, fn, ctx);
	}
}

void pt_walk(const struct pt_ctx *pt, pt_walk_fn fn, void *ctx)
{
	walk_table(pt, pt->root, top(pt), 0, fn, ctx);
}

/* ---- whole trees --------------------------------------------------------- */

int pt_init(struct pt_ctx *pt)
{
	if (!pt->root)
		pt->root = new_table(pt);
	return pt->root ? PT_OK : PT_ERR_NOMEM;
}

static void destroy_table(struct pt_ctx *pt, uint64_t tpa, int level)
{
	const uint64_t *t = table(pt, tpa);

	for (unsigned i = 0; level > 1 && i < ENTRIES; i++)
		if ((t[i] & PTE_P) && !is_leaf(t[i], level))
			destroy_table(pt, t[i] & PTE_ADDR_MASK, level - 1);
	free_table(pt, tpa);
}

void pt_destroy(struct pt_ctx *pt)
{
	if (pt->root)
		destroy_table(pt, pt->root, top(pt));
	pt->root = 0;
}
