/*
 * vtinput.c — a small VT100/xterm input decoder; see vtinput.h.
 */
#include "kernel/input/vtinput.h"

enum { VT_GROUND, VT_ESC, VT_CSI, VT_SS3 };

#define ESC 0x1b
#define DEL 0x7f

void vtinput_init(struct vtinput *v)
{
	*v = (struct vtinput){ .state = VT_GROUND };
}

static bool emit(struct input_event *out, uint8_t key, uint32_t ch)
{
	out->key = key;
	out->ch = ch;
	out->source = INPUT_FROM_SERIAL;
	return true;
}

/* The final byte of ESC [ ... or ESC O ... */
static bool finish_sequence(struct vtinput *v, uint8_t byte, struct input_event *out)
{
	v->state = VT_GROUND;
	switch (byte) {
	case 'A': return emit(out, INPUT_UP, 0);
	case 'B': return emit(out, INPUT_DOWN, 0);
	case 'C': return emit(out, INPUT_RIGHT, 0);
	case 'D': return emit(out, INPUT_LEFT, 0);
	case 'H': return emit(out, INPUT_HOME, 0);
	case 'F': return emit(out, INPUT_END, 0);
	case '~':
		if (v->param == 1 || v->param == 7)
			return emit(out, INPUT_HOME, 0);
		if (v->param == 4 || v->param == 8)
			return emit(out, INPUT_END, 0);
		if (v->param == 3)
			return emit(out, INPUT_DELETE, 0);
		return false;
	default:
		return false; /* a sequence we do not use: swallow it */
	}
}

static bool feed_csi(struct vtinput *v, uint8_t byte, struct input_event *out)
{
	if (byte >= '0' && byte <= '9') {
		if (v->param < 100)
			v->param = (uint8_t)(v->param * 10 + (byte - '0'));
		return false;
	}
	if (byte == ';')
		return false; /* modifiers (ESC [ 1 ; 5 C): ignore them */
	return finish_sequence(v, byte, out);
}

static bool feed_utf8(struct vtinput *v, uint8_t byte, struct input_event *out)
{
	if ((byte & 0xc0) != 0x80) {
		v->need = 0; /* broken sequence: drop it, then treat byte afresh */
		return vtinput_feed(v, byte, out);
	}
	v->cp = (v->cp << 6) | (byte & 0x3f);
	if (--v->need)
		return false;
	return emit(out, INPUT_CHAR, v->cp);
}

static bool start_utf8(struct vtinput *v, uint8_t byte)
{
	if (byte >= 0xc2 && byte <= 0xdf)
		v->need = 1, v->cp = byte & 0x1f;
	else if (byte >= 0xe0 && byte <= 0xef)
		v->need = 2, v->cp = byte & 0x0f;
	else if (byte >= 0xf0 && byte <= 0xf4)
		v->need = 3, v->cp = byte & 0x07;
	return false; /* invalid lead bytes are ignored */
}

static bool feed_ground(struct vtinput *v, uint8_t byte, struct input_event *out)
{
	bool after_cr = v->last_was_cr;
	v->last_was_cr = byte == '\r';
	if (byte == ESC) {
		v->state = VT_ESC;
		return false;
	}
	if (byte == '\r')
		return emit(out, INPUT_CHAR, '\n');
	if (byte == '\n')
		return after_cr ? false : emit(out, INPUT_CHAR, '\n');
	if (byte == DEL)
		return emit(out, INPUT_CHAR, '\b');
	if (byte >= 0x80)
		return start_utf8(v, byte);
	return emit(out, INPUT_CHAR, byte);
}

bool vtinput_feed(struct vtinput *v, uint8_t byte, struct input_event *out)
{
	if (v->need)
		return feed_utf8(v, byte, out);
	switch (v->state) {
	case VT_ESC:
		v->param = 0;
		if (byte == '[') {
			v->state = VT_CSI;
			return false;
		}
		if (byte == 'O') {
			v->state = VT_SS3;
			return false;
		}
		/* ESC x is how terminals send Alt+x: the shell has no use for
		 * Alt, so deliver the x. */
		v->state = VT_GROUND;
		return feed_ground(v, byte, out);
	case VT_CSI:
		return feed_csi(v, byte, out);
	case VT_SS3:
		return finish_sequence(v, byte, out);
	default:
		return feed_ground(v, byte, out);
	}
}
