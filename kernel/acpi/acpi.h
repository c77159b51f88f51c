/*
 * acpi.h — the ACPI tables coop reads, parsed into plain structs.
 *
 * The walk is RSDP -> XSDT (or the RSDT of ACPI 1.0) -> MADT, FADT, HPET and
 * MCFG.  Firmware tables are untrusted input: every checksum is checked,
 * every length is checked against what it must hold and against the table
 * around it, and a table that fails gets one warning line and is left out,
 * so the caller falls back to what it would do without it.  Nothing here
 * faults or loops on bad input (test/fuzz/fuzz_acpi.c).
 *
 * The parser is portable: it never touches memory by itself.  The caller
 * passes a map() callback that turns a physical range into a readable
 * pointer, or NULL when that range cannot be read (the kernel uses its
 * direct map; host tests serve tables dumped from QEMU).
 *
 * Reference: ACPI specification 6.5, chapter 5.2 (tables), 5.2.12 (MADT),
 * 5.2.9 (FADT); the IA-PC HPET specification 1.0a; PCI Firmware 3.2, 4.1.2
 * (MCFG).
 */
#ifndef COOP_KERNEL_ACPI_ACPI_H
#define COOP_KERNEL_ACPI_ACPI_H

#include <stdbool.h>
#include <stdint.h>

/* Limits of what is kept.  Entries beyond them are counted and warned
 * about once, not stored. */
#define ACPI_MAX_TABLES 64
#define ACPI_MAX_CPUS 512
#define ACPI_MAX_IOAPICS 16
#define ACPI_MAX_OVERRIDES 32
#define ACPI_MAX_NMIS 32
#define ACPI_MAX_MCFG 16
#define ACPI_TABLE_MAX_LEN (1u << 20) /* longer is taken as corrupt */

/* A table the root table lists, whether or not coop parses it. */
struct acpi_table_ref {
	char signature[5];
	char oem_id[7];		/* without its padding spaces */
	uint8_t revision;
	bool checksum_ok;
	uint32_t length;
	uint64_t address;
};

/* ---- MADT ---------------------------------------------------------------- */

/* Interrupt polarity and trigger mode of an override or NMI entry (MPS INTI
 * flags).  CONFORMS means "as the bus does it": ISA is edge, active high. */
enum acpi_polarity { ACPI_POLARITY_CONFORMS = 0, ACPI_POLARITY_HIGH = 1, ACPI_POLARITY_LOW = 3 };
enum acpi_trigger { ACPI_TRIGGER_CONFORMS = 0, ACPI_TRIGGER_EDGE = 1, ACPI_TRIGGER_LEVEL = 3 };

#define ACPI_UID_ALL 0xffffffffu /* an NMI entry for every processor */

struct acpi_cpu {
	uint32_t apic_id;     /* local APIC id (x2APIC id for x2APIC entries) */
	uint32_t uid;         /* ACPI processor UID */
	bool enabled;         /* usable now */
	bool online_capable;  /* disabled, but may be brought online */
	bool x2apic_entry;    /* listed as a Processor Local x2APIC entry */
};

struct acpi_ioapic {
	uint32_t id;
	uint32_t gsi_base; /* the GSI of its first input */
	uint64_t address;  /* physical, 4 KiB of registers */
};

/* ISA IRQ `source` arrives on `gsi` (QEMU: IRQ 0 -> GSI 2). */
struct acpi_override {
	uint8_t source;
	uint32_t gsi;
	enum acpi_polarity polarity;
	enum acpi_trigger trigger;
};

/* Local APIC LINT0/1 wired to NMI, for one processor UID or ACPI_UID_ALL. */
struct acpi_lapic_nmi {
	uint32_t uid;
	uint8_t lint;
	enum acpi_polarity polarity;
	enum acpi_trigger trigger;
};

/* An IOAPIC input wired to NMI. */
struct acpi_nmi_source {
	uint32_t gsi;
	enum acpi_polarity polarity;
	enum acpi_trigger trigger;
};

struct acpi_madt {
	uint64_t lapic_address;   /* after any 64-bit override entry */
	bool pcat_compat;         /* a dual 8259 is present too */
	uint32_t cpu_count;       /* enabled or online-capable ones, listed below */
	uint32_t cpus_unusable;   /* neither enabled nor online-capable */
	uint32_t cpus_dropped;    /* beyond ACPI_MAX_CPUS */
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	uint32_t ioapic_count;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	uint32_t override_count;
	struct acpi_override overrides[ACPI_MAX_OVERRIDES];
	uint32_t lapic_nmi_count;
	struct acpi_lapic_nmi lapic_nmis[ACPI_MAX_NMIS];
	uint32_t nmi_source_count;
	struct acpi_nmi_source nmi_sources[ACPI_MAX_NMIS];
	uint32_t other_entries;   /* types coop does not use (GIC, ...) */
};

/* Where ISA IRQ `irq` arrives, with its polarity and trigger resolved: the
 * override if the MADT has one, else GSI == irq, edge, active high. */
struct acpi_isa_route {
	uint32_t gsi;
	bool active_low;
	bool level;
	bool overridden;
};
struct acpi_isa_route acpi_isa_route(const struct acpi_madt *madt, unsigned irq);

/* ---- FADT ---------------------------------------------------------------- */

/* Generic Address Structure address spaces coop can use. */
enum acpi_space { ACPI_SPACE_MEMORY = 0, ACPI_SPACE_IO = 1 };

struct acpi_gas {
	uint8_t space, bit_width, bit_offset, access_size;
	uint64_t address;
};

/* IA-PC boot architecture flags (FADT revision 3 and later). */
#define ACPI_BOOT_LEGACY_DEVICES (1u << 0)
#define ACPI_BOOT_8042 (1u << 1)
#define ACPI_BOOT_NO_VGA (1u << 2)
#define ACPI_BOOT_NO_MSI (1u << 3)
#define ACPI_BOOT_NO_ASPM (1u << 4)
#define ACPI_BOOT_NO_CMOS_RTC (1u << 5)

struct acpi_fadt {
	uint8_t revision;
	bool boot_flags_valid;    /* the table is new enough to have them */
	uint16_t boot_flags;      /* ACPI_BOOT_*; 0 when not valid */
	uint32_t flags;           /* FADT Flags, raw */
	bool hardware_reduced;    /* no PM timer, no fixed hardware */
	uint16_t sci_irq;
	/* The ACPI PM timer: 3.579545 MHz, 24 or 32 bits wide. */
	bool pm_timer_present;
	enum acpi_space pm_timer_space;
	uint64_t pm_timer_address;  /* I/O port or physical address */
	uint8_t pm_timer_bits;      /* 24 or 32 */
	/* The reset register, if the firmware says it works. */
	bool reset_supported;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint8_t century;            /* CMOS index of the century, 0 if none */
};

#define ACPI_PM_TIMER_HZ 3579545u

/* ---- HPET ---------------------------------------------------------------- */

struct acpi_hpet {
	uint64_t address;       /* physical, 1 KiB of registers */
	uint32_t block_id;      /* the capabilities' low 32 bits, as the firmware saw them */
	uint8_t number;         /* which HPET block */
	uint16_t min_tick;      /* smallest periodic tick without lost interrupts */
};

/* ---- MCFG ---------------------------------------------------------------- */

/* One range of PCI Express configuration space (ECAM): buses start..end
 * of `segment`, 1 MiB per bus, starting at `base` for bus 0 (even if
 * bus_start is not 0). */
struct acpi_mcfg_range {
	uint64_t base;
	uint16_t segment;
	uint8_t bus_start, bus_end;
};

struct acpi_mcfg {
	uint32_t count;
	struct acpi_mcfg_range ranges[ACPI_MAX_MCFG];
};

/* Physical address of the 4 KiB configuration space of seg:bus:dev.fn,
 * or 0 if no MCFG range covers it (or dev/fn are out of range). */
uint64_t acpi_mcfg_address(const struct acpi_mcfg *mcfg, uint16_t segment, uint8_t bus,
			   uint8_t dev, uint8_t fn);

/* ---- the whole walk ------------------------------------------------------ */

/* Returns a pointer through which [pa, pa + len) can be read, or NULL. */
typedef const void *(*acpi_map_fn)(void *ctx, uint64_t pa, uint64_t len);
/* Receives one warning line starting "acpi: ", without a newline. */
typedef void (*acpi_warn_fn)(void *ctx, const char *line);

struct acpi_source {
	acpi_map_fn map;
	void *map_ctx;
	acpi_warn_fn warn; /* may be NULL */
	void *warn_ctx;
};

struct acpi_info {
	uint8_t rsdp_revision;       /* 0: ACPI 1.0; 2 and up: XSDT present */
	char oem_id[7];
	bool xsdt;                   /* the walk used the XSDT (else the RSDT) */
	uint64_t root_address;
	uint32_t table_count;        /* listed tables, up to ACPI_MAX_TABLES */
	struct acpi_table_ref tables[ACPI_MAX_TABLES];
	bool has_madt, has_fadt, has_hpet, has_mcfg;
	struct acpi_madt madt;
	struct acpi_fadt fadt;
	struct acpi_hpet hpet;
	struct acpi_mcfg mcfg;
	uint32_t warnings;
};

/*
 * acpi_parse - walk the tables from the RSDP at @rsdp_pa into @info.
 * Returns 0 when a root table was found (individual tables may still have
 * been rejected: see has_*), or -1 when there is no usable RSDP or root
 * table at all.  Each problem is reported through src->warn, once.
 */
int acpi_parse(struct acpi_info *info, const struct acpi_source *src, uint64_t rsdp_pa);

/* The listed table with this signature, or NULL. */
const struct acpi_table_ref *acpi_find(const struct acpi_info *info, const char *signature);

#endif
