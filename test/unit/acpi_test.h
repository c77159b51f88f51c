/*
 * acpi_test.h — what the ACPI test files share: parse an image, and keep
 * the warnings the parser printed so a test can check them.
 */
#ifndef COOP_TEST_UNIT_ACPI_TEST_H
#define COOP_TEST_UNIT_ACPI_TEST_H

#include "kernel/acpi/acpi.h"

#define ACPI_TEST_MAX_WARNINGS 16

struct acpi_test {
	struct acpi_info info; /* large: tests keep one static instance */
	int result;            /* acpi_parse()'s return value */
	unsigned warning_count;
	char warnings[ACPI_TEST_MAX_WARNINGS][160];
};

/* Parses the COOPACPI image data/len into t (-2 in t->result if the image
 * itself would not load). */
void acpi_test_parse(struct acpi_test *t, const unsigned char *data, unsigned long len);
/* True if some warning contains `needle`. */
bool acpi_test_warned(const struct acpi_test *t, const char *needle);

#endif
