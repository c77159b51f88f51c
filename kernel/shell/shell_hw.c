/*
 * shell_hw.c — the shell's hardware listings: lspci and lsusb.
 */
#include "hal/dev/pci.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/shell/shell.h"
#include "kernel/usb/usb_start.h"

#define LSPCI_MAX 128

static void print_size(uint64_t size)
{
	static const char units[] = "KMGT";
	unsigned u = 0;

	size /= 1024;
	while (size >= 1024 && !(size % 1024) && u < 3) {
		size /= 1024;
		u++;
	}
	kprintf("%llu %ciB", (unsigned long long)size, units[u]);
}

/* BARs are sized by writing all ones with decoding off (pci_bar), so the
 * device never answers at a wrong address, and put back as they were. */
static void print_bars(const struct pci_func *f)
{
	unsigned bars = f->header_type == 0 ? 6 : f->header_type == 1 ? 2 : 0;

	for (unsigned i = 0; i < bars; i++) {
		struct pci_bar b;
		if (!pci_bar(f, i, &b) || !b.size)
			continue;
		kprintf("        BAR%u %s 0x%llx, ", i,
			b.io ? "I/O" : b.is64 ? "mem64" : "mem32", (unsigned long long)b.base);
		if (b.io)
			kprintf("%llu bytes", (unsigned long long)b.size);
		else
			print_size(b.size);
		kprintf("%s\n", b.prefetchable ? ", prefetchable" : "");
		if (b.is64)
			i++;
	}
}

struct future *shell_cmd_lspci(int argc, char **argv)
{
	static struct pci_func funcs[LSPCI_MAX];
	bool verbose = argc == 2 && !strcmp(argv[1], "-v");
	unsigned n;

	if (argc > 2 || (argc == 2 && !verbose)) {
		kprintf("lspci: usage: lspci [-v]\n");
		return NULL;
	}
	n = pci_scan(funcs, LSPCI_MAX);
	for (unsigned i = 0; i < n && i < LSPCI_MAX; i++) {
		const struct pci_func *f = &funcs[i];
		if (f->segment)
			kprintf("%04x:", f->segment);
		kprintf("%02x:%02x.%u %04x:%04x %02x%02x%02x %s\n", f->bus, f->dev, f->fn,
			f->vendor, f->device, f->class_code, f->subclass, f->prog_if,
			pci_class_name(f->class_code, f->subclass, f->prog_if));
		if (verbose)
			print_bars(f);
	}
	kprintf("%u PCI functions (%s)\n", n, pci_access_name());
	return NULL;
}

struct future *shell_cmd_lsusb(int argc, char **argv)
{
	if (argc != 1) {
		kprintf("%s: takes no arguments\n", argv[0]);
		return NULL;
	}
	usb_print_devices();
	return NULL;
}
