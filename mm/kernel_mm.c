/*
 * kernel_mm.c — builds the kernel's address space (mm/layout.h) and owns the
 * global frame allocator, page tables and heap.  Kernel-only: it reads the
 * linker's image symbols and programs the MMU.
 */
#include "mm/mm.h"

#include "hal/cpu/mmu.h"
#include "hal/smp/spinlock.h"
#include "hal/smp/tlb.h"
#include "kernel/lib/meminfo.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "mm/frame_cache.h"
#include "mm/heap.h"
#include "mm/heap_pages.h"
#include "mm/layout.h"
#include "mm/physmap.h"
#include "mm/stacks.h"

/* Defined by efi/coop.lds: the image as UEFI loaded and relocated it. */
extern const char __image_start[], __text_start[], __text_end[];
extern const char __rodata_start[], __rodata_end[];
extern const char __data_start[], __data_end[], __image_end[];

/*
 * Every CPU maps and allocates.  One lock, mm_lock, covers the frame
 * allocator and the kernel's page tables together: a page-table edit
 * allocates and frees table frames, and the heap's pages (mm/heap_pages.c)
 * take a frame and map it in one step.  Order: the heap's lock
 * (mm/kmalloc.c) before mm_lock.  Before the other CPUs start, the boot CPU
 * takes it anyway; it costs nothing then.
 *
 * TLB shootdowns are batched: while mm_lock is held, a removed or narrowed
 * mapping is flushed from this CPU's TLB at once and added to a pending
 * range; mm_unlock() sends one shootdown for the whole range to the other
 * CPUs before it lets the lock go, so a frame freed under the lock cannot
 * be handed out again while another CPU may still reach it through a stale
 * translation.
 *
 * mm_frame_alloc() and mm_frame_free() go through per-CPU frame caches
 * (mm/frame_cache.h) and take mm_lock only to move a batch; the frames
 * freed under mm_lock (page tables, heap pages) skip the caches and go to
 * the pool, which cannot hand them out before the shootdown.
 */
static struct frame_allocator frames;
static struct frame_cache frame_cache;
static void mm_lock_take(void);
static void mm_lock_drop(void);
static struct pt_ctx kernel_pt;
static struct spinlock mm_lock = SPINLOCK_INIT("frames and page tables");
static struct { uintptr_t lo, hi; } stale; /* under mm_lock; lo == hi: none */
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

/* The loaded image: SizeOfImage may end before the last section the linker
 * placed (and we map), so take whichever reaches further. */
static struct boot_range image_range(const struct boot_info *bi)
{
	uint64_t end = ALIGN_UP((uintptr_t)__image_end, PAGE_SIZE);

	if (bi->image.base + bi->image.size > end)
		end = bi->image.base + bi->image.size;
	return (struct boot_range){ bi->image.base, end - bi->image.base };
}

static void frames_init(const struct boot_info *bi)
{
	/* Never hand out what we are made of or still read. */
	const struct boot_range reserved[] = {
		image_range(bi),
		bi->boot_data,
		{ bi->memmap.base, bi->memmap_capacity }, /* a bigger buffer, if it moved */
		{ bi->fb.base, bi->fb.format == BOOT_FB_NONE ? 0 : bi->fb.size },
	};
	int err = frame_init(&frames, (const void *)(uintptr_t)bi->memmap.base,
			     bi->memmap.size, bi->memmap.desc_size, reserved,
			     sizeof reserved / sizeof reserved[0], 0);
	if (err)
		panic("frame allocator: cannot use the memory map (error %d)", err);
	frame_set_error_hook(&frames, on_frame_error, NULL);
	frame_cache_init(&frame_cache, &frames, mm_lock_take, mm_lock_drop);
}

/* ---- the lock, and TLB shootdowns --------------------------------------- */

static void mm_lock_take(void)
{
	spin_lock(&mm_lock);
}

static void mm_lock_drop(void)
{
	if (stale.hi > stale.lo) {
		uint64_t pages = (stale.hi - stale.lo) / PAGE_SIZE;
		tlb_shootdown(stale.lo, pages > TLB_FLUSH_ALL_PAGES ? 0 : pages);
		stale.lo = stale.hi = 0;
	}
	spin_unlock(&mm_lock);
}

/* A mapping of the live tables was removed or narrowed (layout.h). */
static void invalidate(void *ctx, uintptr_t va)
{
	(void)ctx;
	mmu_invlpg(va);
	if (!spin_held(&mm_lock)) {
		/* Only at boot, before the lock is used: one CPU runs. */
		tlb_shootdown(va, 1);
		return;
	}
	if (stale.hi == stale.lo) {
		stale.lo = va;
		stale.hi = va + PAGE_SIZE;
	} else {
		stale.lo = va < stale.lo ? va : stale.lo;
		stale.hi = va + PAGE_SIZE > stale.hi ? va + PAGE_SIZE : stale.hi;
	}
}

/* ---- frames and page tables, on any CPU -------------------------------------- */

uint64_t mm_frame_alloc(void)
{
	return frame_cache_alloc(&frame_cache);
}

int mm_frame_free(uint64_t pa)
{
	if (spin_held(&mm_lock)) /* into the pool: reused only after the shootdown */
		return frame_free(&frames, pa);
	return frame_cache_free(&frame_cache, pa);
}

void mm_frame_stats(struct frame_stats *out)
{
	mm_lock_take();
	frame_stats(&frames, out);
	mm_lock_drop();
}

/* The page tables' own frames: mm_lock is held around every edit. */
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

/* pt_map/pt_unmap/pt_protect on the kernel's live tables, under the lock. */
static int kpt_map(uintptr_t va, uint64_t pa, uint64_t size, unsigned flags)
{
	mm_lock_take();
	int err = pt_map(&kernel_pt, va, pa, size, flags);
	mm_lock_drop();
	return err;
}

static int kpt_unmap(uintptr_t va, uint64_t size)
{
	mm_lock_take();
	int err = pt_unmap(&kernel_pt, va, size);
	mm_lock_drop();
	return err;
}

static int kpt_protect(uintptr_t va, uint64_t size, unsigned flags)
{
	mm_lock_take();
	int err = pt_protect(&kernel_pt, va, size, flags);
	mm_lock_drop();
	return err;
}

static void map_or_panic(struct pt_ctx *pt, uintptr_t va, uint64_t pa, uint64_t size,
			 unsigned flags, const char *what)
{
	int err = pt_map(pt, va, pa, size, flags);
	if (err)
		panic("paging: cannot map %s at 0x%llx (+0x%llx): error %d", what,
		      (unsigned long long)va, (unsigned long long)size, err);
}

/* The image keeps its UEFI address (VA == PA), mapped section by section.
 * efi/coop.lds starts every section on a page, so a section's last page
 * ends where the next one starts: round both ends up. */
static void map_image_section(struct pt_ctx *pt, const char *start, const char *end,
			      unsigned flags, const char *what)
{
	uintptr_t s = ALIGN_UP((uintptr_t)start, PAGE_SIZE);
	uintptr_t e = ALIGN_UP((uintptr_t)end, PAGE_SIZE);
	if (e > s)
		map_or_panic(pt, s, s, e - s, flags, what);
}

static void map_image(struct pt_ctx *pt)
{
	map_image_section(pt, __image_start, __text_start, 0, "image headers");
	map_image_section(pt, __text_start, __text_end, PT_EXEC, "kernel text");
	map_image_section(pt, __text_end, __rodata_start, 0, "image .reloc");
	map_image_section(pt, __rodata_start, __rodata_end, 0, "kernel rodata");
	map_image_section(pt, __data_start, __data_end, PT_WRITE, "kernel data");
	map_image_section(pt, __data_end, __image_end, 0, "image dynamic tables");
	/* Guard pages: an overflowing stack faults here instead of corrupting
	 * whatever lies below it. */
	for (int id = 0; id < KSTACK_COUNT; id++)
		if (pt_unmap(pt, kstack_guard((enum kstack_id)id), PAGE_SIZE))
			panic("paging: cannot unmap the %s stack's guard page",
			      kstack_name((enum kstack_id)id));
}

static struct physmap_src memmap_of(const struct boot_info *bi)
{
	return (struct physmap_src){ .descs = mm_phys_to_virt(bi->memmap.base),
				     .map_size = bi->memmap.size,
				     .desc_size = bi->memmap.desc_size,
				     .highest_ram = frame_highest_address(&frames) };
}

/*
 * RAM only, large pages only inside RAM (mm/physmap.c).  Two exceptions to
 * "read-write": the image's frames other than .data/.bss are read-only
 * there too, so no frame is both executable (through the image mapping)
 * and writable (through the direct map); and the framebuffer, should the
 * firmware list it as RAM, is left out, so its write-combining mapping has
 * no write-back alias (SDM vol. 3, 11.12.4).
 */
static void map_direct(struct pt_ctx *pt, const struct boot_info *bi)
{
	struct physmap_src src = memmap_of(bi);
	const struct boot_range readonly[] = {
		{ (uintptr_t)__image_start, (uintptr_t)__data_start - (uintptr_t)__image_start },
		{ (uintptr_t)__data_end, (uintptr_t)__image_end - (uintptr_t)__data_end },
	};
	const struct boot_range excluded[] = {
		{ bi->fb.base, bi->fb.format == BOOT_FB_NONE ? 0 : bi->fb.size },
	};
	int err = physmap_direct(pt, DIRECT_MAP_BASE, &src, DIRECT_MAP_MAX_SIZE,
				 readonly, 2, excluded, 1, &direct_map_size);
	if (err)
		panic("paging: cannot build the direct map: error %d", err);
}

static uint64_t fb_mapped_size;

static void map_framebuffer(struct pt_ctx *pt, const struct boot_fb *fb)
{
	if (fb->format == BOOT_FB_NONE || !framebuffer_moved)
		return;
	uint64_t base = ALIGN_DOWN(fb->base, PAGE_SIZE);
	fb_mapped_size = ALIGN_UP(fb->base + fb->size, PAGE_SIZE) - base;
	/* Without PAT, PWT selects write-through: uncached is the safe choice. */
	map_or_panic(pt, FRAMEBUFFER_BASE, base, fb_mapped_size,
		     PT_WRITE | (cpu.pat ? PT_WC : PT_UC), "framebuffer");
}

bool mm_framebuffer_set_caching(unsigned cache_flag)
{
	if (!fb_mapped_size || (cache_flag == PT_WC && !cpu.pat))
		return false;
	return kpt_protect(FRAMEBUFFER_BASE, fb_mapped_size, PT_WRITE | cache_flag) == 0;
}

static void build_page_tables(const struct boot_info *bi)
{
	kernel_pt = (struct pt_ctx){
		.alloc_table = table_alloc,
		.free_table = table_free,
		.allow_1g = cpu.pages_1g,
		/* Firmware may leave 5-level paging on; it cannot be turned off
		 * from long mode, so the tables follow it. */
		.levels = cpu.la57_on ? 5 : 4,
	};
	mm_build_tables(&kernel_pt, bi);
}

void mm_build_tables(struct pt_ctx *pt, const struct boot_info *bi)
{
	if (pt_init(pt))
		panic("paging: no frame for the top-level table");
	map_image(pt);
	map_direct(pt, bi);
	map_framebuffer(pt, &bi->fb);
}

/*
 * Loads the kernel's tables, then turns on what needs them: SMEP and SMAP
 * only now, because firmware tables may mark supervisor pages user (SMEP
 * would fault on the next instruction fetch).  NX must already be on: the
 * new tables use it.
 */
void mm_load_kernel_tables(void)
{
	mmu_enable_nx();
	mmu_write_cr3(kernel_pt.root);
	mmu_enable_protections(&cpu);
}

/* Loads CR3 and moves everything that held a physical pointer over to the
 * direct map.  The stack, code and data stay where they are: the image is
 * mapped at the same addresses in both the old and the new tables. */
static void switch_to_kernel_tables(const struct boot_info *bi)
{
	uintptr_t fb_virt = FRAMEBUFFER_BASE + (bi->fb.base & (PAGE_SIZE - 1));

	if (cpu.pat)
		mmu_setup_pat();
	mm_load_kernel_tables();
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
static struct spinlock windows_lock = SPINLOCK_INIT("MMIO windows");

static void *map_window_locked(uint64_t pa, uint64_t size, unsigned flags);

static void *map_window(uint64_t pa, uint64_t size, unsigned flags)
{
	spin_lock(&windows_lock);
	void *p = map_window_locked(pa, size, flags);
	spin_unlock(&windows_lock);
	return p;
}

static void *map_window_locked(uint64_t pa, uint64_t size, unsigned flags)
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
	    kpt_map(window_next, base, end - base, flags) != 0) {
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

/* Whether every page of [pa, pa + size) is in the direct map: it holds RAM
 * only, and firmware may keep tables in reserved memory below its end. */
static bool in_direct_map(uint64_t pa, uint64_t size)
{
	if (!size || pa + size < pa || pa + size > direct_map_size)
		return false;
	for (uint64_t a = ALIGN_DOWN(pa, PAGE_SIZE); a < pa + size; a += PAGE_SIZE)
		if (!pt_translate(&kernel_pt, DIRECT_MAP_BASE + a, NULL, NULL, NULL))
			return false;
	return true;
}

const void *mm_map_firmware_table(uint64_t pa, uint64_t size)
{
	if (in_direct_map(pa, size))
		return mm_phys_to_virt(pa);
	return map_window(pa, size, 0);
}

int mm_map(uintptr_t va, uint64_t pa, uint64_t size, unsigned flags)
{
	return kpt_map(va, pa, size, flags);
}

int mm_unmap(uintptr_t va, uint64_t size)
{
	return kpt_unmap(va, size);
}

/* ---- the other CPUs: stacks, and the start-up trampoline ------------------------- */

/* Sizes and order of a slot's stacks (layout.h): each above a guard page. */
static const uint64_t cpu_stack_size[KSTACK_COUNT] = {
	[KSTACK_BOOT] = 64 * 1024, [KSTACK_DOUBLE_FAULT] = 16 * 1024,
	[KSTACK_NMI] = 16 * 1024, [KSTACK_MACHINE_CHECK] = 16 * 1024,
};

static bool map_fresh_frames(uintptr_t va, uint64_t size, unsigned flags)
{
	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		uint64_t pa = mm_frame_alloc();
		if (!pa)
			return false;
		if (kpt_map(va + off, pa, PAGE_SIZE, flags)) {
			mm_frame_free(pa);
			return false;
		}
	}
	return true;
}

bool mm_map_cpu_stacks(unsigned slot, struct cpu_stacks *out)
{
	uintptr_t va = CPU_STACKS_BASE + slot * CPU_STACKS_SLOT;

	if (slot >= (FRAMEBUFFER_BASE - CPU_STACKS_BASE) / CPU_STACKS_SLOT)
		return false;
	for (int id = 0; id < KSTACK_COUNT; id++) {
		va += PAGE_SIZE; /* the guard page stays unmapped */
		if (!map_fresh_frames(va, cpu_stack_size[id], PT_WRITE))
			return false;
		out->guard[id] = va - PAGE_SIZE;
		out->bottom[id] = va;
		out->top[id] = va + cpu_stack_size[id];
		va += cpu_stack_size[id];
	}
	return true;
}

void mm_map_trampoline(uint64_t pa)
{
	int err = kpt_map(pa, pa, PAGE_SIZE, PT_EXEC);

	if (err)
		panic("paging: cannot map the CPU start-up trampoline at 0x%llx: error %d",
		      (unsigned long long)pa, err);
}

void mm_unmap_trampoline(uint64_t pa)
{
	if (kpt_unmap(pa, PAGE_SIZE))
		log_warn("mm: cannot unmap the CPU start-up trampoline at 0x%llx",
			 (unsigned long long)pa);
}

/* ---- heap ----------------------------------------------------------------- */

static struct heap_pages heap_backing;

#define HEAP_RESERVE (16 * 1024 * 1024ull)

uint64_t mm_heap_mapped_bytes(void)
{
	mm_lock_take();
	uint64_t bytes = heap_pages_mapped_bytes(&heap_backing);
	mm_lock_drop();
	return bytes;
}

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
	mm_frame_stats(&fs);
	/* Leave a reserve of frames for other direct users (stacks, tables
	 * outside the heap): 16 MiB, or a quarter on a small machine. */
	uint64_t reserve = fs.free_bytes / 4 < HEAP_RESERVE ? fs.free_bytes / 4 : HEAP_RESERVE;
	uint64_t limit = heap_pages_limit(fs.free_bytes, reserve);
	if (limit > HEAP_MAX_SIZE)
		limit = HEAP_MAX_SIZE;
	heap_backing = (struct heap_pages){ .frames = &frames, .pt = &kernel_pt,
					    .base = HEAP_BASE, .mapped_end = HEAP_BASE,
					    .lock = mm_lock_take, .unlock = mm_lock_drop };
	if (!heap_pages_commit(&heap_backing, HEAP_INITIAL_SIZE))
		panic("heap: no memory for the initial %llu KiB", HEAP_INITIAL_SIZE / 1024);
	if (kmalloc_init(d, &heap_backing, HEAP_INITIAL_SIZE, limit))
		panic("heap: kmalloc_init failed");
	/* After kmalloc_init: heap_init clears the whole heap, hooks too (set
	 * before it, they were lost, and a failed kmalloc or a double free
	 * went unreported). */
	kmalloc_set_hooks(heap_log_line, heap_error);
}

static int top_level(void)
{
	return kernel_pt.levels == 5 ? 5 : 4;
}

static void log_summary(void)
{
	struct heap_stats hs;
	char limit[24];

	kmalloc_stats(&hs);
	meminfo_format_size(limit, sizeof limit, hs.limit);
	log_info("mm: own %d-level page tables (direct map of RAM to %llu MiB, pages up to "
		 "%s; NX, WP%s%s%s), heap '%s' grows to %s",
		 top_level(), (unsigned long long)(direct_map_size >> 20),
		 cpu.pages_1g ? "1 GiB" : "2 MiB", cpu.smep ? ", SMEP" : "",
		 cpu.smap ? ", SMAP" : "", cpu.pat ? "" : ", no PAT: framebuffer uncached",
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

/*
 * coop never calls SetVirtualAddressMap, so the firmware's runtime code
 * still expects to run at its physical addresses: physmap maps its regions
 * VA == PA (code and data writable AND executable: firmware code and data
 * share pages and we cannot know how).  This is the one place coop breaks
 * W^X, and only on the way out, immediately before ResetSystem.
 */
const void *mm_map_firmware_runtime(const struct boot_info *bi)
{
	struct physmap_src src = memmap_of(bi);

	physmap_firmware_runtime(&kernel_pt, &src);
	return bi->efi_runtime_services ? mm_phys_to_virt(bi->efi_runtime_services) : NULL;
}

/* ---- reporting ------------------------------------------------------------ */

void mm_print_stats(void)
{
	struct frame_stats fs;
	struct heap_stats hs;
	uint64_t heap_mapped = heap_pages_mapped_bytes(&heap_backing);
	char a[24], b[24], c[24], d[24];

	mm_frame_stats(&fs);
	meminfo_format_size(a, sizeof a, fs.total_bytes);
	meminfo_format_size(b, sizeof b, fs.free_bytes);
	meminfo_format_size(c, sizeof c, fs.used_bytes);
	meminfo_format_size(d, sizeof d, fs.reserved_bytes);
	kprintf("frames: %s managed = %s free + %s in use + %s reserved\n", a, b, c, d);
	meminfo_format_size(a, sizeof a, heap_mapped);
	meminfo_format_size(b, sizeof b, fs.used_bytes - heap_mapped);
	kprintf("  in use: %s heap, %s page tables and other (%llu allocs, %llu frees)\n", a, b,
		(unsigned long long)fs.allocs, (unsigned long long)fs.frees);
	meminfo_format_size(a, sizeof a, fs.cached_bytes);
	kprintf("  free: %s of it in per-CPU caches (%llu allocs and %llu frees served there; "
		"taken back %llu times)\n", a, (unsigned long long)fs.cache_allocs,
		(unsigned long long)fs.cache_frees, (unsigned long long)fs.cache_reclaims);
	kprintf("  reserved: kernel image, boot data, framebuffer, allocator metadata, "
		"firmware memory kept\n");
	kmalloc_stats(&hs);
	meminfo_format_size(a, sizeof a, hs.used);
	meminfo_format_size(b, sizeof b, hs.size);
	meminfo_format_size(c, sizeof c, heap_mapped);
	meminfo_format_size(d, sizeof d, hs.limit);
	kprintf("heap: %s used; %s of address space, %s of it mapped; limit %s\n", a, b, c, d);
	meminfo_format_size(a, sizeof a, hs.peak_used);
	meminfo_format_size(b, sizeof b, hs.largest_free);
	kprintf("  %zu live allocations, peak %s used, largest free block %s, "
		"%llu grows, %llu shrinks\n",
		hs.live_allocs, a, b, (unsigned long long)hs.grows,
		(unsigned long long)hs.shrinks);
}
