/*
 * keymap.c — the layouts coop knows: US, UK and German (T1, as on Windows).
 *
 * Each table is indexed by physical key (kbd.h names keys by their US
 * position).  Dead keys of the German layout (^ and the accents) type their
 * character at once: the console has no compose state.  Non-ASCII characters
 * are written as code points with their name alongside, to keep this file
 * ASCII.
 */
#include "kernel/input/keymap.h"
#include "kernel/lib/string.h"

/* A letter whose Shift level is its capital. */
#define LETTER(key, lower) [KBD_KEY_##key] = { (lower), (lower) - 'a' + 'A', 0 }
#define KEY(key, plain, shift) [KBD_KEY_##key] = { (plain), (shift), 0 }
#define KEY3(key, plain, shift, altgr) [KBD_KEY_##key] = { (plain), (shift), (altgr) }

#define EURO 0x20ac

const struct keymap keymap_us = {
	.name = "us",
	.description = "English (US)",
	.has_altgr = false,
	.kp_decimal = '.',
	.keys = {
		KEY(GRAVE, '`', '~'), KEY(1, '1', '!'), KEY(2, '2', '@'),
		KEY(3, '3', '#'), KEY(4, '4', '$'), KEY(5, '5', '%'),
		KEY(6, '6', '^'), KEY(7, '7', '&'), KEY(8, '8', '*'),
		KEY(9, '9', '('), KEY(0, '0', ')'), KEY(MINUS, '-', '_'),
		KEY(EQUAL, '=', '+'),
		LETTER(Q, 'q'), LETTER(W, 'w'), LETTER(E, 'e'), LETTER(R, 'r'),
		LETTER(T, 't'), LETTER(Y, 'y'), LETTER(U, 'u'), LETTER(I, 'i'),
		LETTER(O, 'o'), LETTER(P, 'p'),
		KEY(LBRACKET, '[', '{'), KEY(RBRACKET, ']', '}'),
		LETTER(A, 'a'), LETTER(S, 's'), LETTER(D, 'd'), LETTER(F, 'f'),
		LETTER(G, 'g'), LETTER(H, 'h'), LETTER(J, 'j'), LETTER(K, 'k'),
		LETTER(L, 'l'),
		KEY(SEMICOLON, ';', ':'), KEY(APOSTROPHE, '\'', '"'),
		KEY(BACKSLASH, '\\', '|'),
		KEY(102ND, '\\', '|'),
		LETTER(Z, 'z'), LETTER(X, 'x'), LETTER(C, 'c'), LETTER(V, 'v'),
		LETTER(B, 'b'), LETTER(N, 'n'), LETTER(M, 'm'),
		KEY(COMMA, ',', '<'), KEY(PERIOD, '.', '>'), KEY(SLASH, '/', '?'),
		KEY(SPACE, ' ', ' '),
	},
};

/* UK: " and @ swap places, # gets its own key, AltGr types the euro and the
 * acute vowels. */
const struct keymap keymap_uk = {
	.name = "uk",
	.description = "English (UK)",
	.has_altgr = true,
	.kp_decimal = '.',
	.keys = {
		KEY3(GRAVE, '`', 0x00ac /* not sign */, 0x00a6 /* broken bar */),
		KEY(1, '1', '!'), KEY(2, '2', '"'), KEY(3, '3', 0x00a3 /* pound */),
		KEY3(4, '4', '$', EURO), KEY(5, '5', '%'), KEY(6, '6', '^'),
		KEY(7, '7', '&'), KEY(8, '8', '*'), KEY(9, '9', '('),
		KEY(0, '0', ')'), KEY(MINUS, '-', '_'), KEY(EQUAL, '=', '+'),
		LETTER(Q, 'q'), LETTER(W, 'w'),
		KEY3(E, 'e', 'E', 0x00e9 /* e acute */),
		LETTER(R, 'r'), LETTER(T, 't'), LETTER(Y, 'y'),
		KEY3(U, 'u', 'U', 0x00fa /* u acute */),
		KEY3(I, 'i', 'I', 0x00ed /* i acute */),
		KEY3(O, 'o', 'O', 0x00f3 /* o acute */),
		LETTER(P, 'p'),
		KEY(LBRACKET, '[', '{'), KEY(RBRACKET, ']', '}'),
		KEY3(A, 'a', 'A', 0x00e1 /* a acute */),
		LETTER(S, 's'), LETTER(D, 'd'), LETTER(F, 'f'), LETTER(G, 'g'),
		LETTER(H, 'h'), LETTER(J, 'j'), LETTER(K, 'k'), LETTER(L, 'l'),
		KEY(SEMICOLON, ';', ':'), KEY(APOSTROPHE, '\'', '@'),
		KEY(BACKSLASH, '#', '~'),
		KEY(102ND, '\\', '|'),
		LETTER(Z, 'z'), LETTER(X, 'x'), LETTER(C, 'c'), LETTER(V, 'v'),
		LETTER(B, 'b'), LETTER(N, 'n'), LETTER(M, 'm'),
		KEY(COMMA, ',', '<'), KEY(PERIOD, '.', '>'), KEY(SLASH, '/', '?'),
		KEY(SPACE, ' ', ' '),
	},
};

/* German QWERTZ: Y and Z swap, the umlauts sit right of P, L and O, and
 * AltGr reaches the characters German lacks a key for. */
const struct keymap keymap_de = {
	.name = "de",
	.description = "German",
	.has_altgr = true,
	.kp_decimal = ',',
	.keys = {
		KEY(GRAVE, '^', 0x00b0 /* degree */),
		KEY(1, '1', '!'),
		KEY3(2, '2', '"', 0x00b2 /* superscript 2 */),
		KEY3(3, '3', 0x00a7 /* section */, 0x00b3 /* superscript 3 */),
		KEY(4, '4', '$'), KEY(5, '5', '%'), KEY(6, '6', '&'),
		KEY3(7, '7', '/', '{'), KEY3(8, '8', '(', '['),
		KEY3(9, '9', ')', ']'), KEY3(0, '0', '=', '}'),
		KEY3(MINUS, 0x00df /* sharp s */, '?', '\\'),
		KEY(EQUAL, 0x00b4 /* acute accent */, '`'),
		KEY3(Q, 'q', 'Q', '@'), LETTER(W, 'w'),
		KEY3(E, 'e', 'E', EURO),
		LETTER(R, 'r'), LETTER(T, 't'), LETTER(Y, 'z'), LETTER(U, 'u'),
		LETTER(I, 'i'), LETTER(O, 'o'), LETTER(P, 'p'),
		KEY(LBRACKET, 0x00fc /* u umlaut */, 0x00dc),
		KEY3(RBRACKET, '+', '*', '~'),
		LETTER(A, 'a'), LETTER(S, 's'), LETTER(D, 'd'), LETTER(F, 'f'),
		LETTER(G, 'g'), LETTER(H, 'h'), LETTER(J, 'j'), LETTER(K, 'k'),
		LETTER(L, 'l'),
		KEY(SEMICOLON, 0x00f6 /* o umlaut */, 0x00d6),
		KEY(APOSTROPHE, 0x00e4 /* a umlaut */, 0x00c4),
		KEY(BACKSLASH, '#', '\''),
		KEY3(102ND, '<', '>', '|'),
		LETTER(Z, 'y'), LETTER(X, 'x'), LETTER(C, 'c'), LETTER(V, 'v'),
		LETTER(B, 'b'), LETTER(N, 'n'),
		KEY3(M, 'm', 'M', 0x00b5 /* micro */),
		KEY(COMMA, ',', ';'), KEY(PERIOD, '.', ':'), KEY(SLASH, '-', '_'),
		KEY(SPACE, ' ', ' '),
	},
};

static const struct keymap *const keymaps[] = { &keymap_us, &keymap_uk, &keymap_de };

const struct keymap *keymap_find(const char *name)
{
	if (!name)
		return NULL;
	for (unsigned i = 0; i < sizeof keymaps / sizeof keymaps[0]; i++)
		if (strcmp(keymaps[i]->name, name) == 0)
			return keymaps[i];
	return NULL;
}

const char *keymap_names(void)
{
	/* kbd tests check that this matches the keymaps[] table. */
	return "us, uk, de";
}
