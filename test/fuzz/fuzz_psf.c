/* libFuzzer target: psf_parse on arbitrary bytes, then look up glyphs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/console/psf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct psf_font f;
	/* An exact-size copy so ASan catches any read past the end. */
	uint8_t *copy = malloc(size ? size : 1);

	memcpy(copy, data, size);
	if (psf_parse(&f, copy, size) == 0) {
		static const uint32_t cps[] = { 0, 'A', '?', 0xe9, 0x2500, 0xfffd, 0x10000 };
		for (size_t i = 0; i < sizeof cps / sizeof *cps; i++) {
			uint32_t g = psf_glyph_index(&f, cps[i]);
			if (g >= f.glyph_count)
				abort();
			const uint8_t *bits = psf_glyph(&f, g);
			volatile uint8_t sink = bits[f.bytes_per_glyph - 1];
			(void)sink;
		}
	}
	free(copy);
	return 0;
}
