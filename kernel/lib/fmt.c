/*
 * fmt.c — a small vsnprintf for the kernel (and the host tests).
 *
 * Output goes through a cursor that counts every byte it is offered but only
 * stores the ones that fit, which gives C99's "would have written" return
 * value for free.  Padding is counted, not looped over, once the buffer is
 * full, so "%.999999999u" costs no more than "%u" and still returns its
 * true length.  Integers are converted as an unsigned magnitude plus a sign,
 * so LLONG_MIN needs no special case.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/fmt.h"
#include "kernel/lib/string.h"

/* Widths and precisions above this are where C leaves the behaviour
 * undefined; they saturate here (and the return value then says -1). */
#define FMT_FIELD_MAX 0x7fffffff

struct fmt_out {
	char *buf;
	size_t size;   /* bytes available in buf, including the NUL */
	uint64_t len;  /* bytes offered so far */
};

enum fmt_length { LEN_HH, LEN_H, LEN_INT, LEN_L, LEN_LL, LEN_Z, LEN_J, LEN_T };

struct fmt_spec {
	bool left, zero, plus, space, alt;
	int width;
	int precision; /* -1: none given */
	enum fmt_length length;
};

static void out_char(struct fmt_out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

/* @n copies of @c: as many as fit are stored, all are counted. */
static void out_repeat(struct fmt_out *o, char c, long long n)
{
	if (n <= 0)
		return;
	uint64_t room = o->len + 1 < o->size ? o->size - 1 - o->len : 0;
	uint64_t store = (uint64_t)n < room ? (uint64_t)n : room;
	if (store)
		memset(o->buf + o->len, c, store);
	o->len += (uint64_t)n;
}

static void out_mem(struct fmt_out *o, const char *s, size_t n)
{
	while (n--)
		out_char(o, *s++);
}

/* Spaces that pad a field of @len bytes to the width, on the proper side. */
static void pad_before(struct fmt_out *o, const struct fmt_spec *sp, long long len)
{
	if (!sp->left)
		out_repeat(o, ' ', sp->width - len);
}

static void pad_after(struct fmt_out *o, const struct fmt_spec *sp, long long len)
{
	if (sp->left)
		out_repeat(o, ' ', sp->width - len);
}

static void put_string(struct fmt_out *o, const struct fmt_spec *sp, const char *s)
{
	size_t n = 0;

	if (!s)
		s = "(null)";
	/* Stop at the precision: such a string need not be NUL-terminated. */
	while ((sp->precision < 0 || n < (size_t)sp->precision) && s[n])
		n++;
	pad_before(o, sp, (long long)n);
	out_mem(o, s, n);
	pad_after(o, sp, (long long)n);
}

/* Writes the digits of @v least-significant first; returns how many. */
static int digits_reversed(char *tmp, unsigned long long v, unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	return n;
}

static const char *sign_prefix(const struct fmt_spec *sp, bool negative)
{
	if (negative)
		return "-";
	if (sp->plus)
		return "+";
	if (sp->space)
		return " ";
	return "";
}

/* Emits sign or 0x prefix, zero padding, and the digits, within the width. */
static void put_number(struct fmt_out *o, const struct fmt_spec *sp,
		       unsigned long long mag, bool negative, unsigned base, bool upper)
{
	char tmp[24];
	const char *prefix = sign_prefix(sp, negative);
	int ndig = digits_reversed(tmp, mag, base, upper);
	long long zeros = 0, plen, total;

	if (sp->precision == 0 && mag == 0)
		ndig = 0; /* "%.0d" of 0 prints no digits */
	if (base == 16 && sp->alt && mag != 0)
		prefix = upper ? "0X" : "0x";
	plen = (long long)strlen(prefix);
	if (sp->precision > ndig)
		zeros = sp->precision - ndig;
	else if (sp->zero && !sp->left && sp->precision < 0)
		zeros = sp->width - plen - ndig;
	/* '#' with octal makes the first digit a 0. */
	if (base == 8 && sp->alt && zeros <= 0 && (ndig == 0 || tmp[ndig - 1] != '0'))
		zeros = 1;
	if (zeros < 0)
		zeros = 0;
	total = plen + zeros + ndig;
	pad_before(o, sp, total);
	out_mem(o, prefix, (size_t)plen);
	out_repeat(o, '0', zeros);
	while (ndig > 0)
		out_char(o, tmp[--ndig]);
	pad_after(o, sp, total);
}

static long long fetch_signed(va_list *ap, enum fmt_length len)
{
	switch (len) {
	case LEN_HH: return (signed char)va_arg(*ap, int);
	case LEN_H: return (short)va_arg(*ap, int);
	case LEN_L: return va_arg(*ap, long);
	case LEN_LL: return va_arg(*ap, long long);
	case LEN_Z: return (long long)va_arg(*ap, size_t); /* ssize_t: same size */
	case LEN_J: return va_arg(*ap, intmax_t);
	case LEN_T: return va_arg(*ap, ptrdiff_t);
	default: return va_arg(*ap, int);
	}
}

static unsigned long long fetch_unsigned(va_list *ap, enum fmt_length len)
{
	switch (len) {
	case LEN_HH: return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_H: return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_L: return va_arg(*ap, unsigned long);
	case LEN_LL: return va_arg(*ap, unsigned long long);
	case LEN_Z: return va_arg(*ap, size_t);
	case LEN_J: return va_arg(*ap, uintmax_t);
	case LEN_T: return (unsigned long long)va_arg(*ap, ptrdiff_t);
	default: return va_arg(*ap, unsigned int);
	}
}

static int clamp_field(long long v)
{
	return v > FMT_FIELD_MAX ? FMT_FIELD_MAX : (int)v;
}

/* Reads digits or '*' at *@p; returns the value, or -1 if neither is there. */
static int parse_field(const char **p, va_list *ap, bool *from_star)
{
	long long v = 0;

	*from_star = false;
	if (**p == '*') {
		(*p)++;
		*from_star = true;
		return va_arg(*ap, int);
	}
	if (**p < '0' || **p > '9')
		return -1;
	while (**p >= '0' && **p <= '9') {
		if (v <= FMT_FIELD_MAX)
			v = v * 10 + (**p - '0');
		(*p)++;
	}
	return clamp_field(v);
}

static void parse_flags(const char **p, struct fmt_spec *sp)
{
	for (;; (*p)++) {
		switch (**p) {
		case '-': sp->left = true; break;
		case '0': sp->zero = true; break;
		case '+': sp->plus = true; break;
		case ' ': sp->space = true; break;
		case '#': sp->alt = true; break;
		default: return;
		}
	}
}

static void parse_width_precision(const char **p, struct fmt_spec *sp, va_list *ap)
{
	bool star;
	int w = parse_field(p, ap, &star);

	if (star && w < 0) {
		sp->left = true; /* a negative '*' width means left-align */
		w = w == -2147483647 - 1 ? FMT_FIELD_MAX : -w;
	}
	sp->width = w < 0 ? 0 : clamp_field(w);
	sp->precision = -1;
	if (**p == '.') {
		(*p)++;
		int prec = parse_field(p, ap, &star);
		/* "%.d" means precision 0; a negative '*' means none given. */
		sp->precision = prec == -1 && !star ? 0 : prec < 0 ? -1 : clamp_field(prec);
	}
}

static void parse_length(const char **p, struct fmt_spec *sp)
{
	sp->length = LEN_INT;
	switch (**p) {
	case 'h':
		sp->length = (*p)[1] == 'h' ? LEN_HH : LEN_H;
		break;
	case 'l':
		sp->length = (*p)[1] == 'l' ? LEN_LL : LEN_L;
		break;
	case 'z': sp->length = LEN_Z; break;
	case 'j': sp->length = LEN_J; break;
	case 't': sp->length = LEN_T; break;
	default: return;
	}
	*p += (sp->length == LEN_HH || sp->length == LEN_LL) ? 2 : 1;
}

static void put_pointer(struct fmt_out *o, struct fmt_spec *sp, const void *ptr)
{
	sp->alt = false;
	sp->zero = false;
	sp->precision = 16;
	sp->plus = sp->space = false;
	long long total = 2 + 16;
	pad_before(o, sp, total);
	out_mem(o, "0x", 2);
	int saved = sp->width;
	sp->width = 0;
	put_number(o, sp, (uintptr_t)ptr, false, 16, false);
	sp->width = saved;
	pad_after(o, sp, total);
}

/* Handles one conversion character; false if it is not one we know. */
static bool convert(struct fmt_out *o, struct fmt_spec *sp, char conv, va_list *ap)
{
	long long s;
	char c;

	switch (conv) {
	case 'd':
	case 'i':
		s = fetch_signed(ap, sp->length);
		put_number(o, sp, s < 0 ? 0ull - (unsigned long long)s : (unsigned long long)s,
			   s < 0, 10, false);
		return true;
	case 'u':
		sp->plus = sp->space = false;
		put_number(o, sp, fetch_unsigned(ap, sp->length), false, 10, false);
		return true;
	case 'x':
	case 'X':
	case 'o':
		sp->plus = sp->space = false;
		put_number(o, sp, fetch_unsigned(ap, sp->length), false,
			   conv == 'o' ? 8 : 16, conv == 'X');
		return true;
	case 'p':
		put_pointer(o, sp, va_arg(*ap, void *));
		return true;
	case 's':
		put_string(o, sp, va_arg(*ap, const char *));
		return true;
	case 'c':
		c = (char)va_arg(*ap, int);
		pad_before(o, sp, 1);
		out_char(o, c);
		pad_after(o, sp, 1);
		return true;
	case '%':
		out_char(o, '%');
		return true;
	default:
		return false;
	}
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_out o = { .buf = buf, .size = size, .len = 0 };
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		if (*fmt != '%') {
			out_char(&o, *fmt++);
			continue;
		}
		const char *start = fmt++;
		struct fmt_spec sp = { 0 };
		parse_flags(&fmt, &sp);
		parse_width_precision(&fmt, &sp, &args);
		parse_length(&fmt, &sp);
		if (*fmt && convert(&o, &sp, *fmt, &args)) {
			fmt++;
			continue;
		}
		/* Unknown or unfinished directive: show it as written. */
		if (*fmt)
			fmt++;
		out_mem(&o, start, (size_t)(fmt - start));
	}
	va_end(args);
	if (size > 0)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len > 0x7fffffff ? -1 : (int)o.len;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
