/*
 * pagetable.h — a portable x86-64 page-table mapper, 4-level or 5-level.
 *
 * It edits tables in memory and nothing else: the caller supplies table
 * frames (alloc_table/free_table), TLB invalidation (invalidate, one page at
 * a time), and how physical memory is reached (virtual = physical +
 * phys_offset).  So the same code builds the kernel's tables before the
 * switch, edits them after, and runs on the host over a fake "physical"
 * arena.  Loading CR3 and programming PAT/EFER.NXE are the caller's job.
 *
 * Entry format: Intel SDM vol. 3, 4.5 (4-level and 5-level paging).  With 5
 * levels (CR4.LA57: firmware may leave it on) addresses have 57 bits, so the
 * kernel's 48-bit layout (mm/layout.h) simply lives in the PML5's first and
 * last entries.  Leaves carry the
 * permissions; intermediate entries are present + writable (+ user when a
 * user leaf lies below) and never NX, so they restrict nothing.
 *
 * Not locked: the caller serialises.
 */
#ifndef COOP_MM_PAGETABLE_H
#define COOP_MM_PAGETABLE_H

#include <stdbool.h>
#include <stdint.h>

/* Hardware entry bits (SDM vol. 3, tables 4-14..4-20). */
#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)       /* in PDPTEs and PDEs: a 1 GiB / 2 MiB leaf */
#define PTE_PAT_4K (1ull << 7)   /* in PTEs */
#define PTE_G (1ull << 8)
#define PTE_PAT_LARGE (1ull << 12)
#define PTE_NX (1ull << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ull

#define PT_PAGE_4K 0x1000ull
#define PT_PAGE_2M 0x200000ull
#define PT_PAGE_1G 0x40000000ull

/* Our flags.  Absent PT_EXEC means NX.  PT_WC selects PAT index 1 (PWT),
 * which the kernel programs as write-combining; PT_UC selects index 3
 * (PCD|PWT), uncacheable in the power-on PAT.  At most one of the two. */
enum pt_flags {
	PT_WRITE = 1u << 0,
	PT_EXEC = 1u << 1,
	PT_USER = 1u << 2,
	PT_GLOBAL = 1u << 3,
	PT_WC = 1u << 4,
	PT_UC = 1u << 5,
};

enum pt_error {
	PT_OK = 0,
	PT_ERR_INVAL = -1,      /* misaligned, empty, non-canonical, bad flags */
	PT_ERR_NOMEM = -2,      /* alloc_table returned 0 */
	PT_ERR_EXISTS = -3,     /* pt_map over an existing mapping */
	PT_ERR_NOT_MAPPED = -4, /* pt_protect over a hole */
};

struct pt_ctx {
	uint64_t root;         /* physical address of the top table */
	unsigned levels;       /* 4 (PML4 root; 0 means 4) or 5 (PML5 root) */
	uintptr_t phys_offset; /* virtual = physical + phys_offset */
	/* A 4 KiB frame for a table, or 0.  The mapper zeroes it. */
	uint64_t (*alloc_table)(void *ctx);
	void (*free_table)(void *ctx, uint64_t pa); /* may be NULL: tables leak */
	void (*invalidate)(void *ctx, uintptr_t va); /* invlpg; NULL before the switch */
	void *ctx;
	bool allow_1g; /* CPUID.80000001H:EDX.Page1GB */
};

/* Allocates a zeroed root if pt->root is 0.  Returns 0 or PT_ERR_NOMEM. */
int pt_init(struct pt_ctx *pt);
/* Frees every table, the root included (pt->root becomes 0).  Mapped frames
 * are not the mapper's: they are left alone.  Not for the live tables. */
void pt_destroy(struct pt_ctx *pt);

/**
 * pt_map - map [va, va + size) to [pa, pa + size) with @flags.
 * va, pa and size must be 4 KiB aligned, size > 0, the range canonical (one
 * half; 48 or 57 bits, as the levels say) and pa + size <= 2^52.  Each piece uses the largest page that
 * alignment allows: 1 GiB (only with allow_1g), 2 MiB, else 4 KiB.
 * Returns 0; PT_ERR_EXISTS (nothing changed) if any page is already mapped;
 * PT_ERR_INVAL; PT_ERR_NOMEM, after undoing what it had mapped.
 */
int pt_map(struct pt_ctx *pt, uintptr_t va, uint64_t pa, uint64_t size, unsigned flags);

/**
 * pt_unmap - remove every mapping in [va, va + size) (holes are fine).
 * A large page only partly inside is split first (needs a table: may return
 * PT_ERR_NOMEM, having unmapped a prefix).  Calls invalidate once per leaf
 * removed, with the leaf's address (a 4 KiB, 2 MiB or 1 GiB page), and frees
 * tables left empty, each only after the entry pointing to it is cleared and
 * invalidate is called once more (for the paging-structure caches).
 */
int pt_unmap(struct pt_ctx *pt, uintptr_t va, uint64_t size);

/**
 * pt_protect - give every page in [va, va + size) the permissions and cache
 * type in @flags, splitting large pages that stick out.  The whole range must
 * be mapped (else PT_ERR_NOT_MAPPED, nothing changed).  Invalidates each leaf
 * it rewrites.  A split that finds no table returns PT_ERR_NOMEM with a
 * prefix of the range already changed.
 */
int pt_protect(struct pt_ctx *pt, uintptr_t va, uint64_t size, unsigned flags);

/* Where @va leads: the physical address, the leaf's flags and page size.
 * False if unmapped or non-canonical.  Out-pointers may be NULL. */
bool pt_translate(const struct pt_ctx *pt, uintptr_t va, uint64_t *pa, unsigned *flags,
		  uint64_t *page_size);

typedef void (*pt_walk_fn)(void *ctx, uintptr_t va, uint64_t pa, uint64_t size,
			   unsigned flags);
/* Calls @fn for every present leaf in ascending (canonical) address order. */
void pt_walk(const struct pt_ctx *pt, pt_walk_fn fn, void *ctx);

/* The entry bits @flags stand for in a leaf of @page_size (PAT bit moves). */
uint64_t pt_leaf_bits(unsigned flags, uint64_t page_size);

#endif
