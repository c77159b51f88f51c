/*
 * console.c — printing on the firmware's text console (ConOut) before the
 * kernel has a console of its own.  OVMF mirrors ConOut to the serial port.
 *
 * Warnings are also kept, for the boot info: the kernel clears the screen
 * before anyone could read them there, so it prints them again in its log.
 */
#include <stdarg.h>

#include "efi/loader.h"
#include "kernel/lib/fmt.h"
#include "kernel/lib/string.h"

static SIMPLE_TEXT_OUTPUT_INTERFACE *con_out;
/* Room is left in the boot info's copy for the "more warnings" line. */
static char warnings[BOOT_LOADER_LOG_MAX - 64];
static size_t warnings_len;
static bool warnings_cut;

void efi_console_init(EFI_SYSTEM_TABLE *st)
{
	con_out = st->ConOut;
}

/* ConOut takes UCS-2 and wants CR LF line ends. */
static void put_ascii(const char *s)
{
	CHAR16 out[128];
	size_t n = 0;

	if (!con_out)
		return;
	for (; *s; s++) {
		if (*s == '\n')
			out[n++] = L'\r';
		out[n++] = (CHAR16)(unsigned char)*s;
		if (n >= sizeof out / sizeof out[0] - 2) {
			out[n] = 0;
			con_out->OutputString(con_out, out);
			n = 0;
		}
	}
	out[n] = 0;
	con_out->OutputString(con_out, out);
}

void efi_print(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	put_ascii(buf);
}

void efi_warn(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	size_t len = strlen(buf);
	buf[len++] = '\n';
	buf[len] = '\0';
	put_ascii(buf);
	/* Whole lines only: a line that does not fit is counted as lost. */
	if (warnings_len + len < sizeof warnings) {
		memcpy(warnings + warnings_len, buf, len);
		warnings_len += len;
	} else {
		warnings_cut = true;
	}
}

void efi_warnings_copy(struct boot_info *bi)
{
	static const char more[] = "efi: more warnings than fit here: see the serial log\n";
	size_t n = warnings_len;

	_Static_assert(sizeof warnings + sizeof more <= sizeof bi->loader_warnings,
		       "room for the last line");
	memcpy(bi->loader_warnings, warnings, n);
	if (warnings_cut) {
		memcpy(bi->loader_warnings + n, more, sizeof more - 1);
		n += sizeof more - 1;
	}
	bi->loader_warnings[n] = '\0';
}

static const struct {
	EFI_STATUS status;
	const char *name;
} status_names[] = {
	{ EFI_SUCCESS, "EFI_SUCCESS" },
	{ EFI_LOAD_ERROR, "EFI_LOAD_ERROR" },
	{ EFI_INVALID_PARAMETER, "EFI_INVALID_PARAMETER" },
	{ EFI_UNSUPPORTED, "EFI_UNSUPPORTED" },
	{ EFI_BAD_BUFFER_SIZE, "EFI_BAD_BUFFER_SIZE" },
	{ EFI_BUFFER_TOO_SMALL, "EFI_BUFFER_TOO_SMALL" },
	{ EFI_NOT_READY, "EFI_NOT_READY" },
	{ EFI_DEVICE_ERROR, "EFI_DEVICE_ERROR" },
	{ EFI_WRITE_PROTECTED, "EFI_WRITE_PROTECTED" },
	{ EFI_OUT_OF_RESOURCES, "EFI_OUT_OF_RESOURCES" },
	{ EFI_VOLUME_CORRUPTED, "EFI_VOLUME_CORRUPTED" },
	{ EFI_VOLUME_FULL, "EFI_VOLUME_FULL" },
	{ EFI_NO_MEDIA, "EFI_NO_MEDIA" },
	{ EFI_MEDIA_CHANGED, "EFI_MEDIA_CHANGED" },
	{ EFI_NOT_FOUND, "EFI_NOT_FOUND" },
	{ EFI_ACCESS_DENIED, "EFI_ACCESS_DENIED" },
	{ EFI_NO_RESPONSE, "EFI_NO_RESPONSE" },
	{ EFI_NO_MAPPING, "EFI_NO_MAPPING" },
	{ EFI_TIMEOUT, "EFI_TIMEOUT" },
	{ EFI_NOT_STARTED, "EFI_NOT_STARTED" },
	{ EFI_ALREADY_STARTED, "EFI_ALREADY_STARTED" },
	{ EFI_ABORTED, "EFI_ABORTED" },
	{ EFI_SECURITY_VIOLATION, "EFI_SECURITY_VIOLATION" },
};

const char *efi_status_name(EFI_STATUS status)
{
	for (size_t i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
		if (status_names[i].status == status)
			return status_names[i].name;
	return "EFI_UNKNOWN_STATUS";
}

void efi_report(const char *what, EFI_STATUS status)
{
	efi_warn("efi: %s failed: %s (0x%llx)", what, efi_status_name(status),
		 (unsigned long long)status);
}
