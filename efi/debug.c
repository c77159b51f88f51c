/*
 * debug.c — `make debug` support: with gdb=wait on the command line the
 * loader says where it was loaded and waits, before anything else happens,
 * until a debugger clears efi_gdb_waiting.  scripts/qemu-run.sh --debug
 * attaches gdb here, so every breakpoint set then -- kernel_main, the
 * ExitBootServices path, the first line of the kernel -- is still ahead.
 */
#include "efi/loader.h"

#include "kernel/lib/string.h"

/* Non-zero while waiting; gdb: set var efi_gdb_waiting = 0 */
volatile int efi_gdb_waiting;

void efi_wait_for_debugger(const char *gdb, uint64_t image_base)
{
	if (!gdb)
		return;
	if (strcmp(gdb, "wait") != 0) {
		efi_warn("efi: gdb=%s is not understood (gdb=wait waits for a debugger); "
			 "not waiting", gdb);
		return;
	}
	efi_gdb_waiting = 1;
	efi_print("efi: waiting for gdb at image base 0x%llx "
		  "(make debug attaches; in gdb: set var efi_gdb_waiting = 0)\n",
		  (unsigned long long)image_base);
	while (efi_gdb_waiting)
		;
}
