/*
 * cmdline.c — where the kernel command line comes from.
 *
 * 1. The image's LoadOptions, when they hold text: the UEFI shell and boot
 *    entries made with `efibootmgr -u` put UCS-2 there, `efibootmgr`
 *    without -u plain bytes.  Entries the firmware made itself often carry
 *    binary data instead, which is passed over.
 * 2. Otherwise \EFI\BOOT\CMDLINE.TXT on the volume we were loaded from, so a
 *    USB stick can carry its own settings: ASCII, UTF-8 or UTF-16 (with a
 *    byte-order mark, as Notepad writes it).
 *
 * Both go through cmdline_decode (kernel/lib/), and the result through the
 * same tokenizer the kernel uses.  The loader keeps what it can and says
 * nothing about single tokens: the kernel parses the line again and warns
 * about each one it drops, in its own log.
 */
#include "efi/loader.h"

#include "kernel/lib/cmdline_decode.h"
#include "kernel/lib/string.h"

/* CMDLINE.TXT bytes read: UTF-16 takes two per character, plus a BOM. */
#define FILE_READ_MAX (2 * BOOT_CMDLINE_MAX + 2)

/* The keys the loader acts on.  Unknown keys are dropped here as in the
 * kernel, so neither side ever fills its table with keys the other drops. */
static const char *const loader_keys[] = { "video", "gdb", NULL };
static struct cmdline parsed;

/* The UEFI shell passes the program's own name first: drop a leading
 * token that ends in .efi. */
static void skip_program_name(char *text)
{
	struct cmdline_token t;
	const char *pos = text;

	if (!cmdline_token_next(text, &pos, &t) || t.len < 4 || t.len >= sizeof t.text)
		return;
	const char *ext = t.text + t.len - 4;
	if (ext[0] != '.' || (ext[1] | 0x20) != 'e' || (ext[2] | 0x20) != 'f' ||
	    (ext[3] | 0x20) != 'i')
		return;
	while (*pos == ' ' || *pos == '\t')
		pos++;
	memmove(text, pos, strlen(pos) + 1);
}

static bool from_load_options(EFI_LOADED_IMAGE *image, struct boot_info *bi)
{
	if (!image->LoadOptions || !image->LoadOptionsSize)
		return false;
	struct cmdline_decoded d = cmdline_decode(image->LoadOptions, image->LoadOptionsSize,
						  bi->cmdline, BOOT_CMDLINE_MAX);
	if (d.encoding == CMDLINE_BINARY || d.encoding == CMDLINE_EMPTY) {
		bi->cmdline[0] = '\0';
		return false;
	}
	skip_program_name(bi->cmdline);
	bi->cmdline_truncated = d.cut;
	return bi->cmdline[0] != '\0';
}

static EFI_FILE_HANDLE open_cmdline_file(EFI_BOOT_SERVICES *bs, EFI_LOADED_IMAGE *image)
{
	EFI_GUID fs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
	EFI_FILE_IO_INTERFACE *fs;
	EFI_FILE_HANDLE root, file;

	if (bs->HandleProtocol(image->DeviceHandle, &fs_guid, (void **)&fs) != EFI_SUCCESS)
		return NULL;
	if (fs->OpenVolume(fs, &root) != EFI_SUCCESS)
		return NULL;
	EFI_STATUS st = root->Open(root, &file, L"\\EFI\\BOOT\\CMDLINE.TXT",
				   EFI_FILE_MODE_READ, 0);
	root->Close(root);
	return st == EFI_SUCCESS ? file : NULL;
}

static bool from_file(EFI_BOOT_SERVICES *bs, EFI_LOADED_IMAGE *image, struct boot_info *bi)
{
	static UINT8 raw[FILE_READ_MAX];
	EFI_FILE_HANDLE file = open_cmdline_file(bs, image);
	UINTN len = sizeof raw, more = 1;
	UINT8 extra;

	if (!file)
		return false;
	EFI_STATUS st = file->Read(file, &len, raw);
	if (st != EFI_SUCCESS) {
		efi_report("reading \\EFI\\BOOT\\CMDLINE.TXT", st);
		len = 0;
	}
	bool longer = len == sizeof raw && file->Read(file, &more, &extra) == EFI_SUCCESS &&
		      more > 0;
	file->Close(file);
	struct cmdline_decoded d = cmdline_decode(raw, len, bi->cmdline, BOOT_CMDLINE_MAX);
	if (d.encoding == CMDLINE_BINARY)
		efi_warn("efi: \\EFI\\BOOT\\CMDLINE.TXT is not text (%llu bytes, under "
			 "3/4 of them letters, digits or punctuation); ignored",
			 (unsigned long long)len);
	bi->cmdline_truncated = d.cut || longer;
	return true;
}

const struct cmdline *efi_cmdline_read(EFI_BOOT_SERVICES *bs, EFI_LOADED_IMAGE *image,
				       struct boot_info *bi)
{
	bi->cmdline[0] = '\0';
	bi->cmdline_truncated = 0;
	if (from_load_options(image, bi))
		bi->cmdline_source = BOOT_CMDLINE_LOAD_OPTIONS;
	else if (from_file(bs, image, bi))
		bi->cmdline_source = BOOT_CMDLINE_FILE;
	else
		bi->cmdline_source = BOOT_CMDLINE_NONE;
	cmdline_parse(&parsed, bi->cmdline, loader_keys, NULL,
		      bi->cmdline_truncated ? CMDLINE_CUT : 0);
	return &parsed;
}
