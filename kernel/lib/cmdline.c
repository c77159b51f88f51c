/*
 * cmdline.c — tokenising and checking the command line.
 *
 * cmdline_token_next() is the only code, in the loader or the kernel, that
 * decides where a token starts and ends; cmdline_parse() checks each token
 * and stores the good ones.
 */
#include "kernel/lib/cmdline.h"

#include "kernel/boot_info.h"
#include "kernel/lib/fmt.h"
#include "kernel/lib/string.h"

#define WARN_MAX 512
/* How much of a bad token a warning quotes. */
#define QUOTE_MAX 40

struct parse {
	struct cmdline *c;
	const char *const *known;
	cmdline_warn_fn warn;
	unsigned overflow;      /* tokens dropped for want of room */
	char first_overflow[QUOTE_MAX + 8];
	char cut[QUOTE_MAX + 8];  /* the token the cut ran through */
};

static void warn(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct parse *p, const char *fmt, ...)
{
	char line[WARN_MAX];
	va_list ap;
	int n = fmt_snprintf(line, sizeof line, "cmdline: ");

	va_start(ap, fmt);
	fmt_vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	p->c->warnings++;
	if (p->warn)
		p->warn(line);
}

static bool is_separator(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static bool is_quote(char ch)
{
	return ch == '"' || ch == '\'';
}

bool cmdline_token_next(const char *start, const char **pos, struct cmdline_token *t)
{
	const char *s = *pos;
	char quote = 0;

	/* Notepad saves CMDLINE.TXT with a byte-order mark. */
	if (s == start && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
	    (unsigned char)s[2] == 0xBF)
		s += 3;
	while (*s && is_separator(*s))
		s++;
	if (!*s) {
		*pos = s;
		return false;
	}
	t->len = 0;
	t->printable = true;
	for (; *s && (quote || !is_separator(*s)); s++) {
		if (quote ? *s == quote : is_quote(*s)) {
			quote = quote ? 0 : *s;
			continue;
		}
		if (t->len < sizeof t->text - 1)
			t->text[t->len] = *s;
		t->printable &= (unsigned char)*s >= 0x21 && (unsigned char)*s <= 0x7e;
		t->len++;
	}
	t->text[t->len < sizeof t->text ? t->len : sizeof t->text - 1] = '\0';
	t->unclosed_quote = quote != 0;
	t->at_end = *s == '\0';
	*pos = s;
	return true;
}

/* A quotable form of a token: printable ASCII only, shortened. */
static void quote(char *out, size_t size, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 4 < size; i++) {
		unsigned char ch = (unsigned char)s[i];
		out[o++] = (ch >= 0x20 && ch <= 0x7e) ? (char)ch : '?';
		if (i + 1 == QUOTE_MAX && n > QUOTE_MAX) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
	}
	out[o] = '\0';
}

static bool key_known(const struct parse *p, const char *key, size_t n)
{
	for (const char *const *k = p->known; k && *k; k++)
		if (strlen(*k) == n && memcmp(*k, key, n) == 0)
			return true;
	return false;
}

static void warn_unknown(struct parse *p, const char *key, size_t n)
{
	char list[WARN_MAX - 64], q[QUOTE_MAX + 8];
	size_t used = 0;

	list[0] = '\0';
	for (const char *const *k = p->known; k && *k; k++) {
		int w = fmt_snprintf(list + used, sizeof list - used, "%s%s",
				     used ? " " : "", *k);
		used += (size_t)w;
		if (used >= sizeof list) {
			used = sizeof list - 1;
			break;
		}
	}
	quote(q, sizeof q, key, n);
	warn(p, "unknown key '%s' ignored; known keys: %s", q, used ? list : "(none)");
}

static struct cmdline_arg *find_arg(struct cmdline *c, const char *key, size_t n)
{
	for (unsigned i = 0; i < c->count; i++)
		if (strlen(c->args[i].key) == n && memcmp(c->args[i].key, key, n) == 0)
			return &c->args[i];
	return NULL;
}

static void store(struct parse *p, const char *key, size_t klen, const char *val,
		  size_t vlen)
{
	struct cmdline *c = p->c;
	struct cmdline_arg *arg = find_arg(c, key, klen);

	if (arg) {
		warn(p, "key '%s' given more than once; the last value wins", arg->key);
	} else if (c->count == CMDLINE_MAX_ARGS) {
		/* One warning for all of them, at the end, not one per token. */
		if (p->overflow++ == 0)
			quote(p->first_overflow, sizeof p->first_overflow, key, klen);
		return;
	} else {
		arg = &c->args[c->count++];
		memcpy(arg->key, key, klen);
		arg->key[klen] = '\0';
	}
	if (vlen >= CMDLINE_VALUE_MAX) {
		warn(p, "value of '%s' is longer than %d bytes; truncated", arg->key,
		     CMDLINE_VALUE_MAX - 1);
		vlen = CMDLINE_VALUE_MAX - 1;
	}
	memcpy(arg->value, val, vlen);
	arg->value[vlen] = '\0';
}

static size_t find_equals(const char *tok, size_t len)
{
	size_t i = 0;

	while (i < len && tok[i] != '=')
		i++;
	return i;
}

/* Checks one token and stores it, or drops it with a warning. */
static void take_token(struct parse *p, const struct cmdline_token *t)
{
	const char *tok = t->text;
	size_t len = t->len < CMDLINE_TOKEN_MAX ? t->len : CMDLINE_TOKEN_MAX - 1;
	size_t klen = find_equals(tok, len);
	char q[QUOTE_MAX + 8];

	quote(q, sizeof q, tok, len);
	if (t->unclosed_quote)
		return warn(p, "token '%s' has a quote that is not closed; ignored", q);
	if (!t->printable)
		return warn(p, "token '%s' has bytes other than printable ASCII "
			    "(an accented letter, a control character); ignored", q);
	if (klen == t->len)
		return warn(p, "token '%s' is not key=value; ignored", q);
	if (klen == 0)
		return warn(p, "token '%s' has an empty key; ignored", q);
	if (klen >= CMDLINE_KEY_MAX)
		return warn(p, "key in '%s' is longer than %d bytes; ignored", q,
			    CMDLINE_KEY_MAX - 1);
	if (!key_known(p, tok, klen))
		return warn_unknown(p, tok, klen);
	store(p, tok, klen, tok + klen + 1, t->len - klen - 1);
}

void cmdline_parse(struct cmdline *c, const char *text, const char *const *known_keys,
		   cmdline_warn_fn warn_fn, unsigned flags)
{
	struct parse p = { .c = c, .known = known_keys, .warn = warn_fn };
	struct cmdline_token t;
	const char *pos = text;
	bool cut_token = false;

	memset(c, 0, sizeof *c);
	if (!text)
		return;
	while (cmdline_token_next(text, &pos, &t)) {
		if ((flags & CMDLINE_CUT) && t.at_end) {
			cut_token = true; /* the cut ran through it: its value is wrong */
			quote(p.cut, sizeof p.cut, t.text, t.len < sizeof t.text ? t.len :
			      sizeof t.text - 1);
			break;
		}
		take_token(&p, &t);
	}
	if (p.overflow)
		warn(&p, "more than %d arguments; %u ignored, from key '%s' on",
		     CMDLINE_MAX_ARGS, p.overflow, p.first_overflow);
	if (cut_token)
		warn(&p, "longer than the %d bytes kept; the rest, and the token cut "
		     "in two ('%s'), are dropped", BOOT_CMDLINE_MAX - 1, p.cut);
	else if (flags & CMDLINE_CUT)
		warn(&p, "longer than the %d bytes kept; the rest is dropped",
		     BOOT_CMDLINE_MAX - 1);
}

const char *cmdline_get(const struct cmdline *c, const char *key)
{
	struct cmdline_arg *arg = find_arg((struct cmdline *)c, key, strlen(key));

	return arg ? arg->value : NULL;
}
