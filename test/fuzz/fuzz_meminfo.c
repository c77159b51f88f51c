/* libFuzzer target: meminfo_summarise over arbitrary descriptor bytes.  The
 * first byte picks the stride (so odd and too-small strides are tried). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/lib/meminfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct meminfo m;
	char buf[32];

	if (size < 1)
		return 0;
	uint64_t stride = data[0];
	/* An exact-size, 8-aligned copy so ASan catches reads past the map. */
	uint64_t *map = malloc(size - 1 ? size - 1 : 1);
	memcpy(map, data + 1, size - 1);
	int r = meminfo_summarise(&m, map, size - 1, stride);
	if (r == 0 && (m.usable_bytes < m.conventional_bytes ||
		       m.bad_descriptors > m.descriptors))
		abort();
	for (uint32_t t = 0; t < BOOT_MEM_TYPE_COUNT + 2; t++)
		if (!meminfo_type_name(t))
			abort();
	meminfo_format_size(buf, sizeof buf, m.usable_bytes);
	free(map);
	return 0;
}
