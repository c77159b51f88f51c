/*
 * console.c — printing on the firmware's text console (ConOut) before the
 * kernel has a console of its own.  OVMF mirrors ConOut to the serial port.
 */
#include <stdarg.h>

#include "efi/loader.h"
#include "kernel/lib/fmt.h"

static SIMPLE_TEXT_OUTPUT_INTERFACE *con_out;

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
	efi_print("efi: %s failed: %s (0x%llx)\n", what, efi_status_name(status),
		  (unsigned long long)status);
}
