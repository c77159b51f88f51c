/*
 * meminfo.c — walking the UEFI memory map.
 *
 * The firmware's descriptor stride (desc_size) is usually larger than the
 * struct the spec prints, so descriptors are always found by stepping
 * desc_size bytes, never by array indexing.
 */
#include <stdbool.h>

#include "kernel/lib/fmt.h"
#include "kernel/lib/meminfo.h"
#include "kernel/lib/string.h"

#define PAGE_SHIFT 12

static const char *const type_names[BOOT_MEM_TYPE_COUNT] = {
	[BOOT_MEM_RESERVED] = "reserved",
	[BOOT_MEM_LOADER_CODE] = "loader-code",
	[BOOT_MEM_LOADER_DATA] = "loader-data",
	[BOOT_MEM_BOOT_SERVICES_CODE] = "boot-services-code",
	[BOOT_MEM_BOOT_SERVICES_DATA] = "boot-services-data",
	[BOOT_MEM_RUNTIME_SERVICES_CODE] = "runtime-services-code",
	[BOOT_MEM_RUNTIME_SERVICES_DATA] = "runtime-services-data",
	[BOOT_MEM_CONVENTIONAL] = "conventional",
	[BOOT_MEM_UNUSABLE] = "unusable",
	[BOOT_MEM_ACPI_RECLAIM] = "acpi-reclaim",
	[BOOT_MEM_ACPI_NVS] = "acpi-nvs",
	[BOOT_MEM_MMIO] = "mmio",
	[BOOT_MEM_MMIO_PORT_SPACE] = "mmio-port-space",
	[BOOT_MEM_PAL_CODE] = "pal-code",
	[BOOT_MEM_PERSISTENT] = "persistent",
	[BOOT_MEM_UNACCEPTED] = "unaccepted",
};

const char *meminfo_type_name(uint32_t type)
{
	return type < BOOT_MEM_TYPE_COUNT ? type_names[type] : "oem";
}

const struct boot_mem_desc *meminfo_desc(const void *descs, uint64_t desc_size, size_t i)
{
	return (const struct boot_mem_desc *)((const uint8_t *)descs + i * desc_size);
}

static bool is_usable(uint32_t type)
{
	switch (type) {
	case BOOT_MEM_CONVENTIONAL:
	case BOOT_MEM_BOOT_SERVICES_CODE:
	case BOOT_MEM_BOOT_SERVICES_DATA:
	case BOOT_MEM_LOADER_CODE:
	case BOOT_MEM_LOADER_DATA:
		return true;
	default:
		return false;
	}
}

/* The summary bucket of @type (other than usable, which overlaps them). */
static uint64_t *bucket(struct meminfo *m, uint32_t type)
{
	switch (type) {
	case BOOT_MEM_CONVENTIONAL:
		return &m->conventional_bytes;
	case BOOT_MEM_RESERVED:
		return &m->reserved_bytes;
	case BOOT_MEM_RUNTIME_SERVICES_CODE:
	case BOOT_MEM_RUNTIME_SERVICES_DATA:
		return &m->runtime_bytes;
	case BOOT_MEM_ACPI_RECLAIM:
	case BOOT_MEM_ACPI_NVS:
		return &m->acpi_bytes;
	case BOOT_MEM_MMIO:
	case BOOT_MEM_MMIO_PORT_SPACE:
		return &m->mmio_bytes;
	case BOOT_MEM_LOADER_CODE:
	case BOOT_MEM_LOADER_DATA:
	case BOOT_MEM_BOOT_SERVICES_CODE:
	case BOOT_MEM_BOOT_SERVICES_DATA:
		return NULL; /* counted in usable_bytes only */
	default:
		return &m->other_bytes;
	}
}

/* Totals saturate: a map of overlapping nonsense must not wrap them. */
static void add_sat(uint64_t *total, uint64_t n)
{
	if (__builtin_add_overflow(*total, n, total))
		*total = UINT64_MAX;
}

/* Adds one descriptor; false if its size or end does not fit in 64 bits. */
static bool add_desc(struct meminfo *m, const struct boot_mem_desc *d)
{
	uint64_t size, end;

	if (d->num_pages > (UINT64_MAX >> PAGE_SHIFT))
		return false;
	size = d->num_pages << PAGE_SHIFT;
	if (__builtin_add_overflow(d->phys_start, size, &end))
		return false;
	uint64_t *b = bucket(m, d->type);
	if (b)
		add_sat(b, size);
	if (d->type < BOOT_MEM_TYPE_COUNT)
		add_sat(&m->bytes_by_type[d->type], size);
	if (is_usable(d->type)) {
		add_sat(&m->usable_bytes, size);
		if (size && end > m->highest_usable_end)
			m->highest_usable_end = end;
	}
	return true;
}

int meminfo_summarise(struct meminfo *m, const void *descs, uint64_t map_size,
		      uint64_t desc_size)
{
	memset(m, 0, sizeof *m);
	if (desc_size < sizeof(struct boot_mem_desc) || desc_size % 8)
		return MEMINFO_ERR_DESC_SIZE;
	uint64_t count = map_size / desc_size;
	for (uint64_t i = 0; i < count; i++) {
		m->descriptors++;
		if (!add_desc(m, meminfo_desc(descs, desc_size, (size_t)i)))
			m->bad_descriptors++;
	}
	if (map_size % desc_size) {
		m->bad_descriptors++;
		return MEMINFO_ERR_MAP_SIZE;
	}
	return 0;
}

void meminfo_format_size(char *buf, size_t n, uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;
	uint64_t whole = bytes, rem = 0;

	/* Divide while the next unit still gives at least 1. */
	while (whole >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
		rem = whole % 1024;
		whole /= 1024;
		u++;
	}
	unsigned tenth = (unsigned)(rem * 10 / 1024);
	if (tenth)
		fmt_snprintf(buf, n, "%llu.%u %s", (unsigned long long)whole, tenth, units[u]);
	else
		fmt_snprintf(buf, n, "%llu %s", (unsigned long long)whole, units[u]);
}
