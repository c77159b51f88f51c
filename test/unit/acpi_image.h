/*
 * acpi_image.h — a machine's ACPI tables as test data: the "COOPACPI" files
 * in test/data/acpi/ (written by scripts/acpi-capture.py), served to the
 * parser as if they were physical memory.
 *
 *   "COOPACPI"  u64 RSDP address
 *   then records: u64 physical address, u32 length, u32 zero, `length` bytes
 *
 * Each record is copied into a heap block of exactly its size, so ASan
 * flags any read past a table's mapped bytes.  Used by the unit tests and
 * the fuzzer (which feeds mutated images), so loading is defensive too.
 */
#ifndef COOP_TEST_UNIT_ACPI_IMAGE_H
#define COOP_TEST_UNIT_ACPI_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/acpi/acpi.h"
#include "kernel/lib/string.h"
#include "mm/heap.h"

#define ACPI_IMAGE_MAX_RECORDS 128
#define ACPI_IMAGE_HEADER 16
#define ACPI_IMAGE_RECORD_HEADER 16

struct acpi_image {
	uint64_t rsdp;
	unsigned count;
	struct {
		uint64_t pa;
		uint32_t len;
		uint8_t *bytes;
	} rec[ACPI_IMAGE_MAX_RECORDS];
};

static inline uint64_t acpi_image_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	while (n--)
		v = v << 8 | p[n];
	return v;
}

static inline void acpi_image_free(struct acpi_image *img)
{
	for (unsigned i = 0; i < img->count; i++)
		kfree(img->rec[i].bytes);
	img->count = 0;
}

/* 0, or -1 if `data` is not a well-formed image (nothing is kept then). */
static inline int acpi_image_load(struct acpi_image *img, const uint8_t *data, size_t len)
{
	size_t off = ACPI_IMAGE_HEADER;

	img->count = 0;
	if (len < ACPI_IMAGE_HEADER || memcmp(data, "COOPACPI", 8) != 0)
		return -1;
	img->rsdp = acpi_image_le(data + 8, 8);
	while (off < len) {
		if (len - off < ACPI_IMAGE_RECORD_HEADER || img->count == ACPI_IMAGE_MAX_RECORDS)
			goto bad;
		uint64_t pa = acpi_image_le(data + off, 8);
		uint32_t n = (uint32_t)acpi_image_le(data + off + 8, 4);
		off += ACPI_IMAGE_RECORD_HEADER;
		if (n > len - off)
			goto bad;
		uint8_t *copy = kmalloc(n ? n : 1);
		if (!copy)
			goto bad;
		memcpy(copy, data + off, n);
		img->rec[img->count].pa = pa;
		img->rec[img->count].len = n;
		img->rec[img->count++].bytes = copy;
		off += n;
	}
	return 0;
bad:
	acpi_image_free(img);
	return -1;
}

/* The bytes at [pa, pa + len) if one record holds all of them. */
static inline uint8_t *acpi_image_at(struct acpi_image *img, uint64_t pa, uint64_t len)
{
	for (unsigned i = 0; i < img->count; i++) {
		uint64_t start = img->rec[i].pa, size = img->rec[i].len;
		if (pa >= start && pa - start <= size && len <= size - (pa - start))
			return img->rec[i].bytes + (pa - start);
	}
	return NULL;
}

/* Sets p[at] so that the `len` bytes at p sum to zero, as every ACPI
 * checksum must (tests that build or damage tables call it). */
static inline void acpi_image_fix_checksum(uint8_t *p, uint32_t len, uint32_t at)
{
	uint8_t sum = 0;

	p[at] = 0;
	for (uint32_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	p[at] = (uint8_t)-sum;
}

/* An acpi_map_fn over an image. */
static inline const void *acpi_image_map(void *ctx, uint64_t pa, uint64_t len)
{
	return acpi_image_at(ctx, pa, len);
}

#endif
