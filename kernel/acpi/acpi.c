/*
 * acpi.c — the walk from the RSDP through the root table to the tables coop
 * parses (see acpi.h).  Every table is checked the same way before anyone
 * reads a field of it: readable, a header's worth long at least, no longer
 * than ACPI_TABLE_MAX_LEN, its bytes summing to zero, and not overlapping a
 * table already accepted.
 */
#include "kernel/acpi/acpi_internal.h"

#include <stdarg.h>

#include "kernel/lib/fmt.h"
#include "kernel/lib/string.h"

/* The RSDP (ACPI 6.5, 5.2.5.3). */
enum {
	RSDP_CHECKSUM_LEN = 20, /* ACPI 1.0 part, covered by the first checksum */
	RSDP_OEM_ID = 9,
	RSDP_REVISION = 15,
	RSDP_RSDT = 16,
	RSDP_LENGTH = 20,
	RSDP_XSDT = 24,
	RSDP_V2_LEN = 36,
	RSDP_MAX_LEN = 4096,
};

void acpi_warn(struct acpi_walk *w, const char *fmt, ...)
{
	char line[160];
	va_list ap;

	w->info->warnings++;
	if (!w->src->warn)
		return;
	va_start(ap, fmt);
	fmt_vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	w->src->warn(w->src->warn_ctx, line);
}

static uint8_t byte_sum(const uint8_t *p, uint32_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *p++);
	return sum;
}

static const uint8_t *map(struct acpi_walk *w, uint64_t pa, uint64_t len)
{
	if (!pa || pa + len < pa)
		return NULL;
	return w->src->map(w->src->map_ctx, pa, len);
}

/* A signature as printable text: firmware bytes may be anything. */
static void signature_text(char out[5], const uint8_t *sig)
{
	for (int i = 0; i < 4; i++)
		out[i] = sig[i] >= 0x20 && sig[i] < 0x7f ? (char)sig[i] : '?';
	out[4] = '\0';
}

/* The OEM id without the spaces that pad it to six bytes. */
static void copy_oem_id(char out[7], const uint8_t *id)
{
	int n = 6;

	for (int i = 0; i < 6; i++)
		out[i] = id[i] >= 0x20 && id[i] < 0x7f ? (char)id[i] : '?';
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/* ---- one table -------------------------------------------------------------- */

/* The header of the table at pa, and its length if plausible; NULL (with a
 * warning naming `what`) otherwise. */
static const uint8_t *table_header(struct acpi_walk *w, uint64_t pa, const char *what,
				   uint32_t *len)
{
	const uint8_t *h = map(w, pa, SDT_HEADER_LEN);

	if (!h) {
		acpi_warn(w, "acpi: %s at 0x%llx is not in readable memory", what,
			  (unsigned long long)pa);
		return NULL;
	}
	*len = rd32(h, SDT_LENGTH);
	if (*len < SDT_HEADER_LEN || *len > ACPI_TABLE_MAX_LEN) {
		char sig[5];
		signature_text(sig, h);
		acpi_warn(w, "acpi: %s (%s) at 0x%llx has length %u (must be %u..%u): ignored",
			  what, sig, (unsigned long long)pa, *len, SDT_HEADER_LEN,
			  ACPI_TABLE_MAX_LEN);
		return NULL;
	}
	return h;
}

/* The whole table at pa, checksum verified; NULL after a warning. */
static const uint8_t *table_map(struct acpi_walk *w, uint64_t pa, const char *what,
				uint32_t *len)
{
	const uint8_t *t;
	char sig[5];

	if (!table_header(w, pa, what, len))
		return NULL;
	t = map(w, pa, *len);
	if (!t) {
		acpi_warn(w, "acpi: %s at 0x%llx: its %u bytes run past readable memory "
			  "(truncated): ignored", what, (unsigned long long)pa, *len);
		return NULL;
	}
	if (byte_sum(t, *len) != 0) {
		signature_text(sig, t);
		acpi_warn(w, "acpi: %s (%s) at 0x%llx: bad checksum: ignored", what, sig,
			  (unsigned long long)pa);
		return NULL;
	}
	return t;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* A listed table must not overlap the root table or a table listed before
 * it: firmware does not share bytes between tables, so an overlap means a
 * corrupt pointer, and parsing would read one table's bytes as another's. */
static const struct acpi_table_ref *overlapping(const struct acpi_info *info,
						const struct acpi_table_ref *t)
{
	for (uint32_t i = 0; i < info->table_count; i++) {
		const struct acpi_table_ref *o = &info->tables[i];
		if (o != t && o->length &&
		    ranges_overlap(o->address, o->length, t->address, t->length))
			return o;
	}
	return NULL;
}

/* ---- the RSDP and the root table ------------------------------------------ */

static bool rsdp_parse(struct acpi_walk *w, uint64_t pa, uint64_t *rsdt, uint64_t *xsdt)
{
	const uint8_t *r = map(w, pa, RSDP_CHECKSUM_LEN);

	if (!r || memcmp(r, "RSD PTR ", 8) != 0) {
		acpi_warn(w, "acpi: no RSDP signature at 0x%llx", (unsigned long long)pa);
		return false;
	}
	if (byte_sum(r, RSDP_CHECKSUM_LEN) != 0) {
		acpi_warn(w, "acpi: RSDP at 0x%llx: bad checksum", (unsigned long long)pa);
		return false;
	}
	w->info->rsdp_revision = rd8(r, RSDP_REVISION);
	copy_oem_id(w->info->oem_id, r + RSDP_OEM_ID);
	*rsdt = rd32(r, RSDP_RSDT);
	*xsdt = 0;
	if (w->info->rsdp_revision < 2)
		return true;
	/* ACPI 2.0+: a longer structure with its own checksum over all of it. */
	const uint8_t *r2 = map(w, pa, RSDP_V2_LEN);
	uint32_t len = r2 ? rd32(r2, RSDP_LENGTH) : 0;
	if (len < RSDP_V2_LEN || len > RSDP_MAX_LEN || !(r2 = map(w, pa, len)) ||
	    byte_sum(r2, len) != 0)
		acpi_warn(w, "acpi: RSDP at 0x%llx: bad ACPI 2.0 part (length %u or "
			  "extended checksum); using the RSDT", (unsigned long long)pa, len);
	else
		*xsdt = rd64(r2, RSDP_XSDT);
	return true;
}

/* The root table (XSDT or RSDT) at pa, checked; NULL after a warning. */
static const uint8_t *root_map(struct acpi_walk *w, uint64_t pa, const char *sig,
			       uint32_t *len)
{
	const uint8_t *t = table_map(w, pa, sig, len);

	if (t && memcmp(t, sig, 4) != 0) {
		char found[5];
		signature_text(found, t);
		acpi_warn(w, "acpi: %s at 0x%llx has signature '%s': ignored", sig,
			  (unsigned long long)pa, found);
		return NULL;
	}
	return t;
}

/* Picks the XSDT when it is usable, else the RSDT. */
static const uint8_t *root_find(struct acpi_walk *w, uint64_t rsdt, uint64_t xsdt,
				uint32_t *len, uint32_t *width)
{
	const uint8_t *t;

	if (xsdt && (t = root_map(w, xsdt, "XSDT", len))) {
		w->info->xsdt = true;
		w->info->root_address = xsdt;
		*width = 8;
		return t;
	}
	if (xsdt || w->info->rsdp_revision >= 2)
		acpi_warn(w, "acpi: no usable XSDT; falling back to the RSDT");
	if (!rsdt) {
		acpi_warn(w, "acpi: the RSDP names no RSDT");
		return NULL;
	}
	if (!(t = root_map(w, rsdt, "RSDT", len)))
		return NULL;
	w->info->root_address = rsdt;
	*width = 4;
	return t;
}

/* ---- the listed tables ---------------------------------------------------- */

struct parser {
	const char *signature;
	const char *name;
	bool (*parse)(struct acpi_walk *w, const uint8_t *t, uint32_t len, struct acpi_info *info);
	bool *found;
};

static bool parse_madt(struct acpi_walk *w, const uint8_t *t, uint32_t len, struct acpi_info *i)
{
	return acpi_parse_madt(w, t, len, &i->madt);
}
static bool parse_fadt(struct acpi_walk *w, const uint8_t *t, uint32_t len, struct acpi_info *i)
{
	return acpi_parse_fadt(w, t, len, &i->fadt);
}
static bool parse_hpet(struct acpi_walk *w, const uint8_t *t, uint32_t len, struct acpi_info *i)
{
	return acpi_parse_hpet(w, t, len, &i->hpet);
}
static bool parse_mcfg(struct acpi_walk *w, const uint8_t *t, uint32_t len, struct acpi_info *i)
{
	return acpi_parse_mcfg(w, t, len, &i->mcfg);
}

/* Records the table at pa in the list and parses it if coop knows it. */
static void table_visit(struct acpi_walk *w, uint64_t pa)
{
	struct acpi_info *info = w->info;
	const struct parser parsers[] = {
		{ "APIC", "MADT", parse_madt, &info->has_madt },
		{ "FACP", "FADT", parse_fadt, &info->has_fadt },
		{ "HPET", "HPET", parse_hpet, &info->has_hpet },
		{ "MCFG", "MCFG", parse_mcfg, &info->has_mcfg },
	};
	struct acpi_table_ref *ref = &info->tables[info->table_count];
	const struct acpi_table_ref *other;
	const uint8_t *t;
	uint32_t len;

	if (!table_header(w, pa, "listed table", &len))
		return;
	t = map(w, pa, SDT_HEADER_LEN);
	*ref = (struct acpi_table_ref){ .address = pa, .length = len,
					.revision = rd8(t, SDT_REVISION) };
	signature_text(ref->signature, t);
	copy_oem_id(ref->oem_id, t + SDT_OEM_ID);
	if ((other = overlapping(info, ref))) {
		acpi_warn(w, "acpi: %s at 0x%llx (+%u) overlaps %s at 0x%llx: ignored",
			  ref->signature, (unsigned long long)pa, len, other->signature,
			  (unsigned long long)other->address);
		return;
	}
	info->table_count++;
	if (!(t = table_map(w, pa, ref->signature, &len)))
		return;
	ref->checksum_ok = true;
	for (unsigned i = 0; i < sizeof parsers / sizeof parsers[0]; i++) {
		const struct parser *p = &parsers[i];
		if (memcmp(t, p->signature, 4) != 0)
			continue;
		if (*p->found)
			acpi_warn(w, "acpi: a second %s at 0x%llx: ignored (using the first)",
				  p->name, (unsigned long long)pa);
		else
			*p->found = p->parse(w, t, len, info);
	}
}

static void root_walk(struct acpi_walk *w, const uint8_t *root, uint32_t len, uint32_t width)
{
	struct acpi_info *info = w->info;
	uint32_t n = (len - SDT_HEADER_LEN) / width;

	/* The root table is in the list too, so that a table pointer into it
	 * counts as an overlap. */
	info->tables[0] = (struct acpi_table_ref){
		.address = info->root_address, .length = len, .revision = rd8(root, SDT_REVISION),
		.checksum_ok = true,
	};
	signature_text(info->tables[0].signature, root);
	copy_oem_id(info->tables[0].oem_id, root + SDT_OEM_ID);
	info->table_count = 1;
	if ((len - SDT_HEADER_LEN) % width)
		acpi_warn(w, "acpi: %s length %u ends in a partial entry: ignored it",
			  info->tables[0].signature, len);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = root + SDT_HEADER_LEN + i * width;
		uint64_t pa = width == 8 ? rd64(e, 0) : rd32(e, 0);
		if (!pa) {
			acpi_warn(w, "acpi: %s entry %u is a null pointer: skipped",
				  info->tables[0].signature, i);
			continue;
		}
		if (info->table_count == ACPI_MAX_TABLES) {
			acpi_warn(w, "acpi: more than %u tables; the last %u not read",
				  ACPI_MAX_TABLES - 1, n - i);
			return;
		}
		table_visit(w, pa);
	}
}

int acpi_parse(struct acpi_info *info, const struct acpi_source *src, uint64_t rsdp_pa)
{
	struct acpi_walk w = { .info = info, .src = src };
	uint64_t rsdt, xsdt;
	uint32_t len, width;
	const uint8_t *root;

	memset(info, 0, sizeof *info);
	if (!rsdp_parse(&w, rsdp_pa, &rsdt, &xsdt))
		return -1;
	if (!(root = root_find(&w, rsdt, xsdt, &len, &width)))
		return -1;
	root_walk(&w, root, len, width);
	return 0;
}

const struct acpi_table_ref *acpi_find(const struct acpi_info *info, const char *signature)
{
	for (uint32_t i = 0; i < info->table_count; i++)
		if (memcmp(info->tables[i].signature, signature, 4) == 0)
			return &info->tables[i];
	return NULL;
}
