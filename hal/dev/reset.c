/*
 * reset.c — see reset.h.  Offsets and constants: UEFI spec 2.10, 4.5
 * (EFI_RUNTIME_SERVICES) and 8.5.1 (ResetSystem).
 */
#include "hal/dev/reset.h"

#include <stddef.h>

#include "hal/cpu.h"
#include "hal/io.h"
#include "hal/time/clock.h"

/* 24-byte table header, then GetTime ... GetNextHighMonotonicCount (10
 * pointers), then ResetSystem. */
#define EFI_RT_RESET_SYSTEM_OFFSET 104
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

/* Calls the firmware's ResetSystem, if the table has one.  The caller has
 * made the firmware's runtime regions reachable at their physical
 * addresses (mm_map_firmware_runtime). */
static void try_uefi_reset(const void *runtime_services, enum hal_reset_kind kind)
{
	efi_reset_system_fn reset;

	if (!runtime_services)
		return;
	reset = *(const efi_reset_system_fn *)((const char *)runtime_services +
					      EFI_RT_RESET_SYSTEM_OFFSET);
	if (reset)
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
	uint64_t hz = clock_tsc_hz() ? clock_tsc_hz() : 1000000000ull;
	uint64_t end = hal_cycles() + hz / 10;

	while (hal_cycles() < end)
		hal_cpu_relax();
}

void hal_reset(const void *runtime_services, enum hal_reset_kind kind)
{
	hal_irq_disable();
	try_uefi_reset(runtime_services, kind);
	if (kind == HAL_RESET_SHUTDOWN) {
		outw(QEMU_Q35_PM1A_CNT, PM1_SLP_EN_S5);
		outw(QEMU_PIIX_PM1A_CNT, PM1_SLP_EN_S5);
		spin_a_while();
		return;		/* still on: the caller says so */
	}
	outb(KBC_COMMAND, KBC_PULSE_RESET);
	spin_a_while();
	triple_fault();
}
