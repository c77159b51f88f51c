/*
 * libFuzzer target: acpi_parse over a fake physical memory.  The input is a
 * COOPACPI image (test/unit/acpi_image.h: the RSDP address, then tables at
 * physical addresses); the seeds are QEMU's real tables and their broken
 * copies.  Every table the parser maps is an exact-size heap block, so ASan
 * sees any read past one.  Beyond ASan and UBSan, the parse must hold the
 * parser's own promises (acpi.h), checked below.
 *
 * Random mutations almost never keep a checksum right, which would keep the
 * fuzzer out of the entry parsers; so each input is parsed twice: as it is,
 * and once more with every record's checksums repaired.
 */
#include <stdint.h>
#include <stdlib.h>

#include "kernel/acpi/acpi.h"
#include "test/unit/acpi_image.h"

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void ignore_warning(void *ctx, const char *line)
{
	unsigned *n = ctx;

	check(strncmp(line, "acpi: ", 6) == 0 && !strchr(line, '\n'));
	(*n)++;
}

static void check_madt(const struct acpi_madt *m)
{
	check(m->cpu_count <= ACPI_MAX_CPUS && m->ioapic_count <= ACPI_MAX_IOAPICS &&
	      m->override_count <= 16 && m->lapic_nmi_count <= ACPI_MAX_NMIS &&
	      m->nmi_source_count <= ACPI_MAX_NMIS && m->lapic_address != 0);
	for (uint32_t i = 0; i < m->cpu_count; i++) {
		check(m->cpus[i].enabled != m->cpus[i].online_capable);
		check(m->cpus[i].x2apic_entry || m->cpus[i].apic_id != 0xff);
		for (uint32_t j = 0; j < i; j++)
			check(m->cpus[i].apic_id != m->cpus[j].apic_id);
	}
	for (uint32_t i = 0; i < m->override_count; i++)
		check(m->overrides[i].source < 16 && m->overrides[i].polarity != 2 &&
		      m->overrides[i].trigger != 2);
	for (uint32_t i = 0; i < m->lapic_nmi_count; i++)
		check(m->lapic_nmis[i].lint <= 1);
	for (unsigned irq = 0; irq < 16; irq++)
		(void)acpi_isa_route(m, irq);
}

static void check_tables(const struct acpi_info *info)
{
	check(info->table_count <= ACPI_MAX_TABLES);
	for (uint32_t i = 0; i < info->table_count; i++) {
		const struct acpi_table_ref *a = &info->tables[i];
		check(a->length >= 36 && a->length <= ACPI_TABLE_MAX_LEN);
		for (uint32_t j = 0; j < i; j++) {
			const struct acpi_table_ref *b = &info->tables[j];
			check(a->address >= b->address + b->length ||
			      b->address >= a->address + a->length);
		}
	}
}

static uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }

/* Makes each record's bytes sum to zero over the length its header claims
 * (or all of it, if it claims more). */
static void repair_checksums(struct acpi_image *img)
{
	for (unsigned i = 0; i < img->count; i++) {
		uint8_t *p = img->rec[i].bytes;
		uint32_t len = img->rec[i].len;
		if (len >= 20 && memcmp(p, "RSD PTR ", 8) == 0) {
			acpi_image_fix_checksum(p, 20, 8);
			if (len >= 36)
				acpi_image_fix_checksum(p, min32((uint32_t)acpi_image_le(p + 20, 4), len), 32);
		} else if (len >= 36) {
			acpi_image_fix_checksum(p, min32((uint32_t)acpi_image_le(p + 4, 4), len), 9);
		}
	}
}

static void parse_and_check(struct acpi_image *img)
{
	static struct acpi_info info;
	unsigned warnings = 0;
	struct acpi_source src = { .map = acpi_image_map, .map_ctx = img,
				   .warn = ignore_warning, .warn_ctx = &warnings };
	int r = acpi_parse(&info, &src, img->rsdp);
	check(info.warnings == warnings);
	check(r == 0 || (!info.has_madt && !info.has_fadt && !info.has_hpet && !info.has_mcfg));
	check_tables(&info);
	if (info.has_madt)
		check_madt(&info.madt);
	if (info.has_fadt && info.fadt.pm_timer_present)
		check(info.fadt.pm_timer_bits == 24 || info.fadt.pm_timer_bits == 32);
	if (info.has_hpet)
		check(info.hpet.address != 0);
	if (info.has_mcfg) {
		check(info.mcfg.count >= 1 && info.mcfg.count <= ACPI_MAX_MCFG);
		(void)acpi_mcfg_address(&info.mcfg, 0, 0, 0, 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct acpi_image img;

	if (acpi_image_load(&img, data, size) != 0)
		return 0;
	parse_and_check(&img);
	repair_checksums(&img);
	parse_and_check(&img);
	acpi_image_free(&img);
	return 0;
}
