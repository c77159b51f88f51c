/*
 * acpi_internal.h — what the table parsers in kernel/acpi/ share: the walk
 * state, warnings, and little-endian field readers.
 *
 * Fields are read byte by byte at named offsets rather than through packed
 * structs: a table may sit at any byte address (the fuzzer puts them
 * anywhere), and every read is preceded by a length check against the
 * offsets named here.
 */
#ifndef COOP_KERNEL_ACPI_INTERNAL_H
#define COOP_KERNEL_ACPI_INTERNAL_H

#include <stdint.h>

#include "kernel/acpi/acpi.h"

/* The 36-byte header every System Description Table starts with. */
enum {
	SDT_SIGNATURE = 0,
	SDT_LENGTH = 4,
	SDT_REVISION = 8,
	SDT_CHECKSUM = 9,
	SDT_OEM_ID = 10,
	SDT_HEADER_LEN = 36,
};

struct acpi_walk {
	struct acpi_info *info;
	const struct acpi_source *src;
};

void acpi_warn(struct acpi_walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline uint8_t rd8(const uint8_t *p, uint32_t off) { return p[off]; }

static inline uint16_t rd16(const uint8_t *p, uint32_t off)
{
	return (uint16_t)(p[off] | p[off + 1] << 8);
}

static inline uint32_t rd32(const uint8_t *p, uint32_t off)
{
	return (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 | (uint32_t)p[off + 2] << 16 |
	       (uint32_t)p[off + 3] << 24;
}

static inline uint64_t rd64(const uint8_t *p, uint32_t off)
{
	return rd32(p, off) | (uint64_t)rd32(p, off + 4) << 32;
}

/* Reads a Generic Address Structure (12 bytes) at p + off. */
static inline struct acpi_gas rd_gas(const uint8_t *p, uint32_t off)
{
	return (struct acpi_gas){
		.space = p[off], .bit_width = p[off + 1], .bit_offset = p[off + 2],
		.access_size = p[off + 3], .address = rd64(p, off + 4),
	};
}

/* The per-table parsers.  `t` points at the whole table, `len` bytes long,
 * its checksum already verified.  Each returns false (after a warning) if
 * the table cannot be used at all. */
bool acpi_parse_madt(struct acpi_walk *w, const uint8_t *t, uint32_t len, struct acpi_madt *out);
bool acpi_parse_fadt(struct acpi_walk *w, const uint8_t *t, uint32_t len, struct acpi_fadt *out);
bool acpi_parse_hpet(struct acpi_walk *w, const uint8_t *t, uint32_t len, struct acpi_hpet *out);
bool acpi_parse_mcfg(struct acpi_walk *w, const uint8_t *t, uint32_t len, struct acpi_mcfg *out);

#endif
