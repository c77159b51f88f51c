/*
 * reset.c — see reset.h.
 *
 * UEFI ResetSystem after ExitBootServices: coop never calls
 * SetVirtualAddressMap, so the firmware's runtime code still expects to run
 * at its physical addresses.  We give it an identity map of every runtime
 * region just before the call.  Offsets and constants: UEFI spec 2.10,
 * 4.5 (EFI_RUNTIME_SERVICES) and 8.5.1 (ResetSystem).
 */
#include "hal/reset.h"

#include "hal/cpu.h"
#include "hal/io.h"
#include "hal/pit.h"
#include "kernel/log.h"
#include "kernel/meminfo.h"
#include "mm/mm.h"

/* 24-byte table header, then GetTime ... GetNextHighMonotonicCount (10
 * pointers), then ResetSystem. */
#define EFI_RT_RESET_SYSTEM_OFFSET 104
#define EFI_MEMORY_RUNTIME (1ull << 63)
#define EFI_SUCCESS 0

#define KBC_COMMAND 0x64
#define KBC_PULSE_RESET 0xfe
/* QEMU's ACPI PM1a control register (PMBASE + 4): SLP_EN | SLP_TYP=0 is
 * S5 in QEMU's DSDT.  q35 (ICH9) puts PMBASE at 0x600 under OVMF, i440fx
 * (PIIX4) at 0xb000. */
#define QEMU_Q35_PM1A_CNT 0x604
#define QEMU_PIIX_PM1A_CNT 0xb004
#define PM1_SLP_EN_S5 0x2000

typedef void (__attribute__((ms_abi)) *efi_reset_system_fn)(uint32_t type,
							     uint64_t status,
							     uint64_t data_size,
							     const void *data);

static bool needs_identity_map(const struct boot_mem_desc *d)
{
	return d->type == BOOT_MEM_RUNTIME_SERVICES_CODE ||
	       d->type == BOOT_MEM_RUNTIME_SERVICES_DATA ||
	       (d->type == BOOT_MEM_MMIO && (d->attribute & EFI_MEMORY_RUNTIME));
}

/*
 * Maps every runtime region VA == PA, writable AND executable: firmware code
 * and data share pages and we cannot know how.  This is the one place coop
 * breaks W^X, and only on the way out, immediately before ResetSystem.
 * Regions already mapped (PT_ERR_EXISTS) are left as they are.
 */
static void map_runtime_regions(const struct boot_info *bi)
{
	const void *map = mm_phys_to_virt(bi->memmap.base);
	size_t n = bi->memmap.desc_size ? bi->memmap.size / bi->memmap.desc_size : 0;

	for (size_t i = 0; i < n; i++) {
		const struct boot_mem_desc *d;

		d = meminfo_desc(map, bi->memmap.desc_size, i);
		if (needs_identity_map(d) && d->num_pages)
			pt_map(mm_kernel_pt(), d->phys_start, d->phys_start,
			       d->num_pages * PT_PAGE_4K, PT_WRITE | PT_EXEC);
	}
}

static void try_uefi_reset(const struct boot_info *bi, enum hal_reset_kind kind)
{
	efi_reset_system_fn reset;

	if (!bi || !bi->efi_runtime_services)
		return;
	reset = *(efi_reset_system_fn *)mm_phys_to_virt(bi->efi_runtime_services +
						       EFI_RT_RESET_SYSTEM_OFFSET);
	if (!reset)
		return;
	map_runtime_regions(bi);
	reset((uint32_t)kind, EFI_SUCCESS, 0, NULL);
}

/* An IDT with limit 0: the next exception cannot be delivered, nor can the
 * double fault that follows, and the CPU resets (a triple fault). */
static void __attribute__((noreturn)) triple_fault(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} empty = { 0, 0 };

	__asm__ volatile("lidt %0; int3" ::"m"(empty) : "memory");
	hal_halt_forever();
}

/* Gives a reset or power-off request time to act (QEMU handles them
 * asynchronously; real chipsets take a moment too): about 100 ms. */
static void spin_a_while(void)
{
	uint64_t hz = tsc_hz() ? tsc_hz() : 1000000000ull;
	uint64_t end = hal_cycles() + hz / 10;

	while (hal_cycles() < end)
		hal_cpu_relax();
}

void hal_reset(const struct boot_info *bi, enum hal_reset_kind kind)
{
	hal_irq_disable();
	try_uefi_reset(bi, kind);
	if (kind == HAL_RESET_SHUTDOWN) {
		outw(QEMU_Q35_PM1A_CNT, PM1_SLP_EN_S5);
		outw(QEMU_PIIX_PM1A_CNT, PM1_SLP_EN_S5);
		spin_a_while();
		kprintf("poweroff: not supported on this machine; "
			"it is safe to switch off\n");
		hal_halt_forever();
	}
	outb(KBC_COMMAND, KBC_PULSE_RESET);
	spin_a_while();
	triple_fault();
}
