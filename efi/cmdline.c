/*
 * cmdline.c — where the kernel command line comes from.
 *
 * 1. The image's LoadOptions, when they hold UCS-2 text (the UEFI shell and
 *    boot entries made with `efibootmgr -u` put the command line there).
 *    Firmware-made boot entries often carry binary data instead, so anything
 *    that is not printable text is ignored.
 * 2. Otherwise \EFI\BOOT\CMDLINE.TXT on the volume we were loaded from, so a
 *    USB stick can carry its own settings.
 * The loader only copies text; the kernel parses and validates it.
 */
#include "efi/loader.h"

static bool is_text(const CHAR16 *s, UINTN n)
{
	for (UINTN i = 0; i < n; i++) {
		if (s[i] == 0)
			return i > 0;
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] > 0x7e)
			return false;
	}
	return n > 0;
}

/* The shell passes the program's own name first: drop a leading *.efi word. */
static const CHAR16 *skip_program_name(const CHAR16 *s, UINTN n, UINTN *left)
{
	UINTN end = 0;
	while (end < n && s[end] && s[end] != ' ')
		end++;
	if (end >= 4 && s[end - 4] == '.' && (s[end - 3] | 0x20) == 'e' &&
	    (s[end - 2] | 0x20) == 'f' && (s[end - 1] | 0x20) == 'i') {
		while (end < n && s[end] == ' ')
			end++;
		*left = n - end;
		return s + end;
	}
	*left = n;
	return s;
}

static bool from_load_options(EFI_LOADED_IMAGE *image, struct boot_info *bi)
{
	const CHAR16 *s = image->LoadOptions;
	UINTN n = image->LoadOptionsSize / sizeof(CHAR16), i;

	if (!s || !is_text(s, n))
		return false;
	s = skip_program_name(s, n, &n);
	for (i = 0; i < n && s[i] && i < BOOT_CMDLINE_MAX - 1; i++)
		bi->cmdline[i] = (char)s[i];
	bi->cmdline[i] = '\0';
	bi->cmdline_truncated = i < n && s[i] != 0;
	return i > 0;
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
	EFI_FILE_HANDLE file = open_cmdline_file(bs, image);
	UINTN len = BOOT_CMDLINE_MAX - 1, more = 1;
	char extra;

	if (!file)
		return false;
	EFI_STATUS st = file->Read(file, &len, bi->cmdline);
	if (st != EFI_SUCCESS) {
		efi_report("reading \\EFI\\BOOT\\CMDLINE.TXT", st);
		len = 0;
	}
	bi->cmdline[len] = '\0';
	if (len == BOOT_CMDLINE_MAX - 1 && file->Read(file, &more, &extra) == EFI_SUCCESS)
		bi->cmdline_truncated = more > 0;
	file->Close(file);
	return true;
}

void efi_cmdline_read(EFI_BOOT_SERVICES *bs, EFI_LOADED_IMAGE *image, struct boot_info *bi)
{
	bi->cmdline[0] = '\0';
	if (from_load_options(image, bi))
		bi->cmdline_source = BOOT_CMDLINE_LOAD_OPTIONS;
	else if (from_file(bs, image, bi))
		bi->cmdline_source = BOOT_CMDLINE_FILE;
	else
		bi->cmdline_source = BOOT_CMDLINE_NONE;
}
