/*
 * physmap.c — the direct map and the firmware's runtime regions, from the
 * memory map (see physmap.h).
 */
#include "mm/physmap.h"

#include "kernel/lib/meminfo.h"

#define PAGE PT_PAGE_4K
#define NONE UINT64_MAX

static uint64_t page_up(uint64_t x) { return (x + PAGE - 1) & ~(PAGE - 1); }
static uint64_t page_down(uint64_t x) { return x & ~(PAGE - 1); }

/* ---- the direct map ---------------------------------------------------------- */

/* RAM the kernel may cache: the memory types that hold RAM, and only where
 * the firmware says write-back works there (MTRRs on real PCs). */
static bool ram(const struct boot_mem_desc *d)
{
	switch (d->type) {
	case BOOT_MEM_CONVENTIONAL:
	case BOOT_MEM_LOADER_CODE:
	case BOOT_MEM_LOADER_DATA:
	case BOOT_MEM_BOOT_SERVICES_CODE:
	case BOOT_MEM_BOOT_SERVICES_DATA:
	case BOOT_MEM_RUNTIME_SERVICES_CODE:
	case BOOT_MEM_RUNTIME_SERVICES_DATA:
	case BOOT_MEM_ACPI_RECLAIM:
	case BOOT_MEM_ACPI_NVS:
		return (d->attribute & BOOT_MEM_ATTR_WB) && d->num_pages &&
		       d->num_pages <= (UINT64_MAX - d->phys_start) / PAGE;
	default:
		return false;
	}
}

static const struct boot_mem_desc *desc(const struct physmap_src *s, size_t i)
{
	return meminfo_desc(s->descs, s->desc_size, i);
}

static size_t count(const struct physmap_src *s)
{
	return s->desc_size ? (size_t)(s->map_size / s->desc_size) : 0;
}

static uint64_t end_of(const struct boot_mem_desc *d)
{
	return d->phys_start + d->num_pages * PAGE;
}

/* The next stretch of RAM at or above @from: descriptors that overlap or
 * touch are one stretch.  Returns its start, or NONE; *end its end. */
static uint64_t next_ram(const struct physmap_src *s, uint64_t from, uint64_t *end)
{
	uint64_t start = NONE;
	bool grew = true;

	for (size_t i = 0; i < count(s); i++) {
		const struct boot_mem_desc *d = desc(s, i);
		if (ram(d) && end_of(d) > from && d->phys_start < start)
			start = d->phys_start < from ? from : d->phys_start;
	}
	if (start == NONE)
		return NONE;
	*end = start;
	while (grew) { /* O(n) passes at most: a map of a few hundred entries */
		grew = false;
		for (size_t i = 0; i < count(s); i++) {
			const struct boot_mem_desc *d = desc(s, i);
			if (ram(d) && d->phys_start <= *end && end_of(d) > *end) {
				*end = end_of(d);
				grew = true;
			}
		}
	}
	return start;
}

/* Applies @flags to the pages of [pa, pa + size) the direct map has; runs
 * of mapped pages are changed in one pt_protect each. */
static int protect_mapped(struct pt_ctx *pt, uintptr_t base, uint64_t pa, uint64_t size,
			  unsigned flags)
{
	uint64_t end = page_up(pa + size), run = NONE;

	for (uint64_t a = page_down(pa); a <= end; a += PAGE) {
		bool mapped = a < end && pt_translate(pt, base + a, NULL, NULL, NULL);
		if (mapped && run == NONE)
			run = a;
		if (!mapped && run != NONE) {
			int err = pt_protect(pt, base + run, a - run, flags);
			if (err)
				return err;
			run = NONE;
		}
	}
	return 0;
}

int physmap_direct(struct pt_ctx *pt, uintptr_t base, const struct physmap_src *src,
		   uint64_t limit, const struct boot_range *readonly, size_t nreadonly,
		   const struct boot_range *excluded, size_t nexcluded, uint64_t *mapped)
{
	uint64_t at = 0, start, end;
	int err;

	*mapped = 0;
	while ((start = next_ram(src, at, &end)) != NONE && start < limit) {
		uint64_t s = page_up(start), e = page_down(end < limit ? end : limit);
		/* pt_map picks the largest page that fits wholly inside [s, e):
		 * no large page reaches past RAM into a hole. */
		if (e > s && (err = pt_map(pt, base + s, s, e - s, PT_WRITE | PT_GLOBAL)))
			return err;
		*mapped = e > s ? e : *mapped;
		at = end;
	}
	for (size_t i = 0; i < nexcluded; i++) {
		uint64_t s = page_down(excluded[i].base), e = page_up(excluded[i].base +
								       excluded[i].size);
		if (excluded[i].size && s < *mapped &&
		    (err = pt_unmap(pt, base + s, (e < *mapped ? e : *mapped) - s)))
			return err;
	}
	for (size_t i = 0; i < nreadonly; i++)
		if ((err = protect_mapped(pt, base, readonly[i].base, readonly[i].size,
					  PT_GLOBAL)))
			return err;
	return 0;
}

/* ---- the firmware's runtime regions -------------------------------------------- */

/* How a region the firmware uses after ExitBootServices must be mapped:
 * code and data writable and executable (the two share pages, and we cannot
 * know how); device registers uncached and never executable; 0: not the
 * firmware's. */
static unsigned runtime_flags(const struct boot_mem_desc *d)
{
	bool runtime = d->attribute & BOOT_MEM_ATTR_RUNTIME;

	switch (d->type) {
	case BOOT_MEM_RUNTIME_SERVICES_CODE:
	case BOOT_MEM_RUNTIME_SERVICES_DATA:
		return PT_WRITE | PT_EXEC;
	case BOOT_MEM_MMIO:
	case BOOT_MEM_MMIO_PORT_SPACE:
		return runtime ? PT_WRITE | PT_UC : 0;
	case BOOT_MEM_CONVENTIONAL:
	case BOOT_MEM_LOADER_CODE:
	case BOOT_MEM_LOADER_DATA:
	case BOOT_MEM_BOOT_SERVICES_CODE:
	case BOOT_MEM_BOOT_SERVICES_DATA:
		return runtime ? PT_WRITE | PT_EXEC : 0;
	default:
		return 0;
	}
}

void physmap_firmware_runtime(struct pt_ctx *pt, const struct physmap_src *src)
{
	for (size_t i = 0; i < count(src); i++) {
		const struct boot_mem_desc *d = desc(src, i);
		unsigned flags = runtime_flags(d);
		if (flags && d->num_pages && d->num_pages <= (UINT64_MAX - d->phys_start) / PAGE)
			pt_map(pt, d->phys_start, d->phys_start, d->num_pages * PAGE, flags);
	}
}
