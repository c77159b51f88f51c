/*
 * boot_info.h — the one contract between the loader (efi/) and the kernel.
 *
 * The loader fills a struct boot_info while UEFI boot services still run,
 * exits boot services, and calls kernel_main() with it.  Nothing else passes
 * between the two: the kernel never includes efi.h.  Bump BOOT_INFO_VERSION
 * whenever the layout changes.
 */
#ifndef COOP_KERNEL_BOOT_INFO_H
#define COOP_KERNEL_BOOT_INFO_H

#include <stdint.h>

#define BOOT_INFO_MAGIC 0x544f4f42504f4f43ull /* "COOPBOOT", little-endian */
#define BOOT_INFO_VERSION 4
#define BOOT_CMDLINE_MAX 1024 /* bytes, including the terminating NUL */
#define BOOT_LOADER_LOG_MAX 512

enum boot_fb_format {
	BOOT_FB_NONE = 0,    /* no usable framebuffer: serial-only console */
	BOOT_FB_RGBX = 1,    /* byte 0 red, 1 green, 2 blue, 3 reserved */
	BOOT_FB_BGRX = 2,    /* byte 0 blue, 1 green, 2 red, 3 reserved */
	BOOT_FB_BITMASK = 3, /* pixels laid out by the masks below */
};

struct boot_fb {
	uint64_t base; /* physical address */
	uint64_t size; /* bytes */
	uint32_t width, height;
	uint32_t pixels_per_scanline; /* the pitch, in pixels (>= width) */
	uint32_t format;              /* enum boot_fb_format */
	uint32_t red_mask, green_mask, blue_mask, reserved_mask;
	/* 4 for RGBX and BGRX; for BITMASK the bytes the masks span (2, 3 or
	 * 4).  The loader checks that size covers pitch * height of them. */
	uint32_t bytes_per_pixel;
	uint32_t pad;
};

/* UEFI memory types, numbered as the UEFI spec numbers them. */
enum boot_mem_type {
	BOOT_MEM_RESERVED = 0,
	BOOT_MEM_LOADER_CODE = 1,
	BOOT_MEM_LOADER_DATA = 2,
	BOOT_MEM_BOOT_SERVICES_CODE = 3,
	BOOT_MEM_BOOT_SERVICES_DATA = 4,
	BOOT_MEM_RUNTIME_SERVICES_CODE = 5,
	BOOT_MEM_RUNTIME_SERVICES_DATA = 6,
	BOOT_MEM_CONVENTIONAL = 7,
	BOOT_MEM_UNUSABLE = 8,
	BOOT_MEM_ACPI_RECLAIM = 9,
	BOOT_MEM_ACPI_NVS = 10,
	BOOT_MEM_MMIO = 11,
	BOOT_MEM_MMIO_PORT_SPACE = 12,
	BOOT_MEM_PAL_CODE = 13,
	BOOT_MEM_PERSISTENT = 14,
	BOOT_MEM_UNACCEPTED = 15,
	BOOT_MEM_TYPE_COUNT
};

/* Attribute bits of a descriptor (UEFI 2.10, 7.2 EFI_MEMORY_DESCRIPTOR). */
#define BOOT_MEM_ATTR_UC (1ull << 0)       /* can be mapped uncached */
#define BOOT_MEM_ATTR_WC (1ull << 1)
#define BOOT_MEM_ATTR_WT (1ull << 2)
#define BOOT_MEM_ATTR_WB (1ull << 3)       /* can be mapped write-back */
#define BOOT_MEM_ATTR_SP (1ull << 18)      /* specific-purpose: not general RAM */
#define BOOT_MEM_ATTR_RUNTIME (1ull << 63) /* the firmware uses it after exit */

/* Mirrors EFI_MEMORY_DESCRIPTOR.  Firmware may use a larger stride than this
 * struct: always step by boot_memmap.desc_size, never by sizeof. */
struct boot_mem_desc {
	uint32_t type; /* enum boot_mem_type, or an OEM/OS value >= 0x70000000 */
	uint32_t pad;
	uint64_t phys_start;
	uint64_t virt_start;
	uint64_t num_pages; /* 4 KiB pages */
	uint64_t attribute;
};

struct boot_memmap {
	uint64_t base;      /* physical address of the first descriptor */
	uint64_t size;      /* bytes of descriptors */
	uint64_t desc_size; /* stride between descriptors */
	uint32_t desc_version;
	uint32_t pad;
};

/* A physical range the kernel must not hand out as free memory. */
struct boot_range {
	uint64_t base, size;
};

enum boot_cmdline_source {
	BOOT_CMDLINE_NONE = 0,
	BOOT_CMDLINE_LOAD_OPTIONS = 1, /* the image's UEFI LoadOptions */
	BOOT_CMDLINE_FILE = 2,         /* \EFI\BOOT\CMDLINE.TXT */
};

struct boot_info {
	uint64_t magic;   /* BOOT_INFO_MAGIC */
	uint32_t version; /* BOOT_INFO_VERSION */
	uint32_t size;    /* sizeof(struct boot_info) as the loader saw it */

	struct boot_fb fb;
	struct boot_memmap memmap;

	char cmdline[BOOT_CMDLINE_MAX]; /* NUL-terminated UTF-8 (decoded by the loader) */
	uint32_t cmdline_source;        /* enum boot_cmdline_source */
	uint32_t cmdline_truncated;     /* 1 if the source was longer */

	uint64_t rsdp;          /* ACPI RSDP physical address, 0 if none */
	uint32_t rsdp_revision; /* 0: ACPI 1.0 RSDP, 2: ACPI 2.0+ XSDP */
	uint32_t pad0;

	struct boot_range image;     /* the loaded BOOTX64.EFI (kernel inside) */
	struct boot_range boot_data; /* this struct and the first map buffer */
	uint64_t memmap_capacity;    /* bytes at memmap.base (a bigger buffer
					replaces the first if the map outgrew it) */
	uint64_t efi_runtime_services; /* EFI_RUNTIME_SERVICES *, for ResetSystem */
	uint32_t exit_boot_services_tries; /* 1 unless the map key went stale */
	uint32_t memmap_reallocations;     /* times the map outgrew its buffer */

	/* Set when the loader could not exit boot services: it may no longer
	 * print (the firmware console is off limits after the first
	 * ExitBootServices call), so the kernel reports it and halts. */
	char loader_failed[32];  /* the boot service that failed, or "" */
	uint64_t loader_status;  /* its EFI_STATUS */
	/* One page below 1 MiB (not page 0), reserved as loader data, for the
	 * code that starts the other CPUs (a start-up IPI names a page below
	 * 1 MiB); 0 if the firmware gave none. */
	uint64_t ap_trampoline;

	/* The loader's warnings, "efi: ..." lines each ending in '\n', NUL-
	 * terminated: the kernel shows them again in its own log. */
	char loader_warnings[BOOT_LOADER_LOG_MAX];
};

/* The kernel's single entry point, called by the loader after
 * ExitBootServices on the loader's stack, with interrupts disabled. */
void kernel_main(const struct boot_info *bi) __attribute__((noreturn));

#endif
