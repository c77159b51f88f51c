/*
 * acpi_images.h — the ACPI test images in test/data/acpi/, embedded at
 * build time (build/gen/acpi_images.c, by scripts/bin2c.py).  README.md in
 * that folder says where each comes from and what it must parse to.
 */
#ifndef COOP_TEST_DATA_ACPI_IMAGES_H
#define COOP_TEST_DATA_ACPI_IMAGES_H

#define ACPI_IMAGE(name)                                                       \
	extern const unsigned char acpi_image_##name[];                        \
	extern const unsigned long acpi_image_##name##_len

ACPI_IMAGE(q35);
ACPI_IMAGE(pc);
ACPI_IMAGE(q35_madt_badsum);
ACPI_IMAGE(q35_madt_truncated);
ACPI_IMAGE(q35_madt_zero_length);
ACPI_IMAGE(q35_madt_entry_overruns);
ACPI_IMAGE(q35_madt_entry_overlaps);
ACPI_IMAGE(q35_madt_short_entry);
ACPI_IMAGE(q35_xsdt_badsum);
ACPI_IMAGE(q35_xsdt_duplicate);
ACPI_IMAGE(q35_xsdt_partial);
ACPI_IMAGE(q35_hpet_zero_length);
ACPI_IMAGE(q35_rsdp_badsum);

#undef ACPI_IMAGE

#endif
