/*
 * input.c — the channel that merges keyboard and serial input for the shell.
 */
#include "kernel/input/input.h"

#include "kernel/panic.h"

static struct channel input;

void input_init(void)
{
	if (!chan_init(&input, sizeof(struct input_event), INPUT_CHANNEL_DEPTH))
		panic("input: no memory for the input channel");
}

struct channel *input_channel(void)
{
	return &input;
}
