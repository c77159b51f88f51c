/*
 * kernel_mm.c — builds the kernel's address space (mm/layout.h) and owns the
 * global frame allocator, page tables and heap.  Kernel-only: it reads the
 * linker's image symbols and programs the MMU.
 */
#include "mm/mm.h"

#include "hal/cpu/mmu.h"
#include "kernel/lib/meminfo.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "mm/heap.h"
#include "mm/heap_pages.h"
#include "mm/layout.h"
#include "mm/stacks.h"
#include "mm/stacks.h"

/* Defined by efi/coop.lds: the image as UEFI loaded and relocated it. */
extern const char __image_start[], __text_start[], __text_end[];
extern const char __rodata_start[], __rodata_end[];
extern const char __data_start[], __data_end[], __image_end[];

static struct frame_allocator frames;
static struct pt_ctx kernel_pt;
static struct cpu_features cpu;
static uint64_t direct_map_size;
/* Who draws on the framebuffer, told where it is once paging moves it. */
static void (*framebuffer_moved)(void *virt);

#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))

struct frame_allocator *mm_frames(void) { return &frames; }
struct pt_ctx *mm_kernel_pt(void) { return &kernel_pt; }
bool mm_has_1g_pages(void) { return kernel_pt.allow_1g; }
uint64_t mm_direct_map_size(void) { return direct_map_size; }

void *mm_phys_to_virt(uint64_t pa)
{
	return (void *)(uintptr_t)(pa + frames.phys_offset);
}

static void on_frame_error(void *ctx, enum frame_error err, uint64_t pa)
{
	(void)ctx;
	panic("frame allocator: %s of frame 0x%llx",
	      err == FRAME_ERR_DOUBLE_FREE ? "double free" : "free of a foreign frame",
	      (unsigned long long)pa);
}

/* ---- frames --------------------------------------------------------------- */

static void frames_init(const struct boot_info *bi)
{
	/* Never hand out what we are made of or still read. */
	const struct boot_range reserved[] = {
		bi->image,
		bi->boot_data,
		{ bi->fb.base, bi->fb.format == BOOT_FB_NONE ? 0 : bi->fb.size },
	};
	int err = frame_init(&frames, (const void *)(uintptr_t)bi->memmap.base,
			     bi->memmap.size, bi->memmap.desc_size, reserved,
			     sizeof reserved / sizeof reserved[0], 0);
	if (err)
		panic("frame allocator: cannot use the memory map (error %d)", err);
	frame_set_error_hook(&frames, on_frame_error, NULL);
}

/* ---- page tables ---------------------------------------------------------- */

static uint64_t table_alloc(void *ctx)
{
	(void)ctx;
	return frame_alloc(&frames);
}

static void table_free(void *ctx, uint64_t pa)
{
	(void)ctx;
	frame_free(&frames, pa);
}

static void invalidate(void *ctx, uintptr_t va)
{
	(void)ctx;
	mmu_invlpg(va);
}

static void map_or_panic(uintptr_t va, uint64_t pa, uint64_t size, unsigned flags,
			 const char *what)
{
	int err = pt_map(&kernel_pt, va, pa, size, flags);
	if (err)
		panic("paging: cannot map %s at 0x%llx (+0x%llx): error %d", what,
		      (unsigned long long)va, (unsigned long long)size, err);
}

/* The image keeps its UEFI address (VA == PA), mapped section by section.
 * efi/coop.lds starts every section on a page, so a section's last page
 * ends where the next one starts: round both ends up. */
static void map_image_section(const char *start, const char *end, unsigned flags,
			      const char *what)
{
	uintptr_t s = ALIGN_UP((uintptr_t)start, PAGE_SIZE);
	uintptr_t e = ALIGN_UP((uintptr_t)end, PAGE_SIZE);
	if (e > s)
		map_or_panic(s, s, e - s, flags, what);
}

static void map_image(void)
{
	map_image_section(__image_start, __text_start, 0, "image headers");
	map_image_section(__text_start, __text_end, PT_EXEC, "kernel text");
	map_image_section(__text_end, __rodata_start, 0, "image .reloc");
	map_image_section(__rodata_start, __rodata_end, 0, "kernel rodata");
	map_image_section(__data_start, __data_end, PT_WRITE, "kernel data");
	map_image_section(__data_end, __image_end, 0, "image dynamic tables");
	/* Guard pages: an overflowing stack faults here instead of corrupting
	 * whatever lies below it. */
	for (int id = 0; id < KSTACK_COUNT; id++)
		if (pt_unmap(&kernel_pt, kstack_guard((enum kstack_id)id), PAGE_SIZE))
			panic("paging: cannot unmap the %s stack's guard page",
			      kstack_name((enum kstack_id)id));
}

static void map_direct(void)
{
	uint64_t step = kernel_pt.allow_1g ? PT_PAGE_1G : PT_PAGE_2M;
	direct_map_size = ALIGN_UP(frame_highest_address(&frames), step);
	if (direct_map_size > DIRECT_MAP_MAX_SIZE)
		direct_map_size = DIRECT_MAP_MAX_SIZE;
	map_or_panic(DIRECT_MAP_BASE, 0, direct_map_size, PT_WRITE | PT_GLOBAL, "direct map");
}

static uint64_t fb_mapped_size;

static void map_framebuffer(const struct boot_fb *fb)
{
	if (fb->format == BOOT_FB_NONE || !framebuffer_moved)
		return;
	uint64_t base = ALIGN_DOWN(fb->base, PAGE_SIZE);
	fb_mapped_size = ALIGN_UP(fb->base + fb->size, PAGE_SIZE) - base;
	map_or_panic(FRAMEBUFFER_BASE, base, fb_mapped_size, PT_WRITE | PT_WC, "framebuffer");
}

bool mm_framebuffer_set_caching(unsigned cache_flag)
{
	if (!fb_mapped_size)
		return false;
	return pt_protect(&kernel_pt, FRAMEBUFFER_BASE, fb_mapped_size,
			  PT_WRITE | cache_flag) == 0;
}

static void build_page_tables(const struct boot_info *bi)
{
	kernel_pt = (struct pt_ctx){
		.alloc_table = table_alloc,
		.free_table = table_free,
		.allow_1g = cpu.pages_1g,
	};
	if (pt_init(&kernel_pt))
		panic("paging: no frame for the PML4");
	map_image();
	map_direct();
	map_framebuffer(&bi->fb);
}

/* Loads CR3 and moves everything that held a physical pointer over to the
 * direct map.  The stack, code and data stay where they are: the image is
 * mapped at the same addresses in both the old and the new tables. */
static void switch_to_kernel_tables(const struct boot_info *bi)
{
	uintptr_t fb_virt = FRAMEBUFFER_BASE + (bi->fb.base & (PAGE_SIZE - 1));

	mmu_setup_pat();
	mmu_enable_protections(&cpu);
	mmu_write_cr3(kernel_pt.root);
	kernel_pt.phys_offset = DIRECT_MAP_BASE;
	kernel_pt.invalidate = invalidate;
	frame_set_phys_offset(&frames, DIRECT_MAP_BASE);
	if (framebuffer_moved)
		framebuffer_moved((void *)fb_virt);
}

/* Firmware and loader memory is ours once CR3, GDT, IDT and stack are. */
static void reclaim_boot_memory(void)
{
	static const uint32_t types[] = {
		BOOT_MEM_BOOT_SERVICES_CODE, BOOT_MEM_BOOT_SERVICES_DATA,
		BOOT_MEM_LOADER_CODE, BOOT_MEM_LOADER_DATA,
	};
	for (unsigned i = 0; i < sizeof types / sizeof types[0]; i++)
		frame_reclaim(&frames, types[i]);
}

/* ---- device registers and firmware tables ------------------------------------- */

#define WINDOWS_MAX 32

/* Ranges mapped in the MMIO window so far, so a range asked for twice (the
 * ACPI parser maps each table's header, then the table) is mapped once. */
struct window {
	uint64_t pa, size;
	uintptr_t va;
	unsigned flags;
};
static struct window windows[WINDOWS_MAX];
static unsigned window_count;
static uintptr_t window_next = MMIO_BASE;

static void *map_window(uint64_t pa, uint64_t size, unsigned flags)
{
	uint64_t base = ALIGN_DOWN(pa, PAGE_SIZE), end;

	if (!size || pa + size < pa)
		return NULL;
	end = ALIGN_UP(pa + size, PAGE_SIZE);
	for (unsigned i = 0; i < window_count; i++)
		if (windows[i].flags == flags && base >= windows[i].pa &&
		    end <= windows[i].pa + windows[i].size)
			return (void *)(windows[i].va + (pa - windows[i].pa));
	if (window_count == WINDOWS_MAX || window_next + (end - base) > MMIO_BASE + MMIO_MAX_SIZE ||
	    pt_map(&kernel_pt, window_next, base, end - base, flags) != 0) {
		log_error("mm: cannot map 0x%llx (+0x%llx) in the MMIO window",
			  (unsigned long long)pa, (unsigned long long)size);
		return NULL;
	}
	windows[window_count++] = (struct window){ base, end - base, window_next, flags };
	window_next += end - base + PAGE_SIZE; /* an unmapped page between windows */
	return (void *)(windows[window_count - 1].va + (pa - base));
}

volatile void *mm_map_mmio(uint64_t pa, uint64_t size)
{
	return map_window(pa, size, PT_WRITE | PT_UC);
}

const void *mm_map_firmware_table(uint64_t pa, uint64_t size)
{
	if (pa + size >= pa && pa + size <= direct_map_size)
		return mm_phys_to_virt(pa);
	return map_window(pa, size, 0);
}

/* ---- heap ----------------------------------------------------------------- */

static struct heap_pages heap_backing;

#define HEAP_RESERVE (16 * 1024 * 1024ull)

static void heap_log_line(const char *line)
{
	log_warn("%s", line);
}

static void heap_error(struct heap *h, enum heap_error err, const void *p)
{
	(void)h;
	panic("heap: %s at %p", heap_error_name(err), p);
}

static void heap_init_global(const char *design_name)
{
	enum heap_design d;
	struct frame_stats fs;

	if (heap_design_parse(design_name, &d)) {
		log_warn("heap=%s is not a heap design (bump, list, block); using block",
			 design_name);
		d = HEAP_BLOCK;
	}
	frame_stats(&frames, &fs);
	/* Leave a reserve of frames for other direct users (stacks, tables
	 * outside the heap): 16 MiB, or a quarter on a small machine. */
	uint64_t reserve = fs.free_bytes / 4 < HEAP_RESERVE ? fs.free_bytes / 4 : HEAP_RESERVE;
	uint64_t limit = heap_pages_limit(fs.free_bytes, reserve);
	if (limit > HEAP_MAX_SIZE)
		limit = HEAP_MAX_SIZE;
	heap_backing = (struct heap_pages){ .frames = &frames, .pt = &kernel_pt,
					    .base = HEAP_BASE, .mapped_end = HEAP_BASE };
	if (!heap_pages_commit(&heap_backing, HEAP_INITIAL_SIZE))
		panic("heap: no memory for the initial %llu KiB", HEAP_INITIAL_SIZE / 1024);
	kmalloc_set_hooks(heap_log_line, heap_error);
	if (kmalloc_init(d, &heap_backing, HEAP_INITIAL_SIZE, limit))
		panic("heap: kmalloc_init failed");
}

static void log_summary(void)
{
	struct heap_stats hs;
	char limit[24];

	kmalloc_stats(&hs);
	meminfo_format_size(limit, sizeof limit, hs.limit);
	kprintf("mm: own page tables (direct map %llu MiB in %s pages; NX, WP%s%s), "
		"heap '%s' grows to %s\n",
		(unsigned long long)(direct_map_size >> 20), cpu.pages_1g ? "1 GiB" : "2 MiB",
		cpu.smep ? ", SMEP" : "", cpu.smap ? ", SMAP" : "",
		heap_design_name(kmalloc_design()), limit);
}

void mm_init(const struct boot_info *bi, const char *heap, void (*fb_moved)(void *virt))
{
	framebuffer_moved = fb_moved;
	cpu_features_read(&cpu);
	if (!cpu.nx)
		panic("this CPU has no NX bit: coop's W^X page tables need it");
	frames_init(bi);
	build_page_tables(bi);
	switch_to_kernel_tables(bi);
	reclaim_boot_memory();
	heap_init_global(heap);
	log_summary();
}

/* ---- the firmware, on the way out ------------------------------------------ */

#define EFI_MEMORY_RUNTIME (1ull << 63)

static bool firmware_runtime(const struct boot_mem_desc *d)
{
	return d->type == BOOT_MEM_RUNTIME_SERVICES_CODE ||
	       d->type == BOOT_MEM_RUNTIME_SERVICES_DATA ||
	       (d->type == BOOT_MEM_MMIO && (d->attribute & EFI_MEMORY_RUNTIME));
}

/*
 * coop never calls SetVirtualAddressMap, so the firmware's runtime code
 * still expects to run at its physical addresses.  Map every runtime region
 * VA == PA, writable AND executable: firmware code and data share pages
 * and we cannot know how.  This is the one place coop breaks W^X, and only
 * on the way out, immediately before ResetSystem.  Regions that are already
 * mapped (PT_ERR_EXISTS) are left as they are.
 */
const void *mm_map_firmware_runtime(const struct boot_info *bi)
{
	const void *map = mm_phys_to_virt(bi->memmap.base);
	size_t n = bi->memmap.desc_size ? bi->memmap.size / bi->memmap.desc_size : 0;

	for (size_t i = 0; i < n; i++) {
		const struct boot_mem_desc *d = meminfo_desc(map, bi->memmap.desc_size, i);
		if (firmware_runtime(d) && d->num_pages)
			pt_map(&kernel_pt, d->phys_start, d->phys_start,
			       d->num_pages * PT_PAGE_4K, PT_WRITE | PT_EXEC);
	}
	return bi->efi_runtime_services ? mm_phys_to_virt(bi->efi_runtime_services) : NULL;
}

/* ---- reporting ------------------------------------------------------------ */

void mm_print_stats(void)
{
	struct frame_stats fs;
	struct heap_stats hs;
	char a[24], b[24], c[24], d[24];

	frame_stats(&frames, &fs);
	meminfo_format_size(a, sizeof a, fs.total_bytes);
	meminfo_format_size(b, sizeof b, fs.free_bytes);
	meminfo_format_size(c, sizeof c, fs.used_bytes);
	meminfo_format_size(d, sizeof d, fs.reserved_bytes);
	kprintf("frames: %s managed = %s free + %s in use + %s reserved\n", a, b, c, d);
	meminfo_format_size(a, sizeof a, heap_backing.mapped_end - heap_backing.base);
	meminfo_format_size(b, sizeof b, fs.used_bytes - (heap_backing.mapped_end - heap_backing.base));
	kprintf("  in use: %s heap, %s page tables and other (%llu allocs, %llu frees)\n", a, b,
		(unsigned long long)fs.allocs, (unsigned long long)fs.frees);
	kprintf("  reserved: kernel image, boot data, framebuffer, allocator metadata, "
		"firmware memory kept\n");
	kmalloc_stats(&hs);
	meminfo_format_size(a, sizeof a, hs.size);
	meminfo_format_size(b, sizeof b, hs.used);
	meminfo_format_size(c, sizeof c, hs.free);
	meminfo_format_size(d, sizeof d, hs.overhead);
	kprintf("heap: %s committed = %s used + %s free + %s overhead\n", a, b, c, d);
	meminfo_format_size(a, sizeof a, hs.peak_used);
	meminfo_format_size(b, sizeof b, hs.largest_free);
	meminfo_format_size(c, sizeof c, hs.limit);
	kprintf("  %zu live allocations, peak %s used, largest free block %s, limit %s, "
		"%llu grows, %llu shrinks\n",
		hs.live_allocs, a, b, c, (unsigned long long)hs.grows,
		(unsigned long long)hs.shrinks);
}
