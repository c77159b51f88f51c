/*
 * fmt.h — printf-style formatting into a buffer, without floating point.
 *
 * Supports %d %i %u %x %X %o %p %s %c %%, the length modifiers hh h l ll z j t,
 * the flags - 0 + space #, a width and a precision (both may be '*').
 * An unknown conversion is copied to the output literally.
 */
#ifndef COOP_KERNEL_FMT_H
#define COOP_KERNEL_FMT_H

#include <stdarg.h>
#include <stddef.h>

/**
 * fmt_vsnprintf - format into @buf, as C99 vsnprintf does.
 * Returns the length the full output would have had, however long
 * ("%.999999u" returns 999999), or -1 if that is above INT_MAX (POSIX's
 * EOVERFLOW); widths and precisions beyond INT_MAX saturate there.  When
 * @size > 0 the output is always NUL-terminated, truncated if need be.
 * Padding beyond the buffer is counted, not written, so no format is slow.
 * @buf may be NULL when @size is 0 (to measure).
 */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
