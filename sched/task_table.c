/*
 * task_table.c — see task_table.h.
 */
#include "sched/task_table.h"

#include "kernel/lib/string.h"
#include "mm/heap.h"
#include "sched/task.h"

#define NO_SLOT UINT32_MAX
#define MAX_CHUNKS (UINT32_MAX / TASK_CHUNK_SLOTS)	/* slots fit in 32 bits */

void task_table_init(struct task_table *tt)
{
	*tt = (struct task_table){ 0 };
}

void task_table_destroy(struct task_table *tt)
{
	for (uint32_t c = 0; c < tt->nchunks; c++)
		kfree(tt->chunks[c]);
	kfree(tt->chunks);
	task_table_init(tt);
}

/* A new chunk in the first free place of the chunk array. */
static bool add_chunk(struct task_table *tt)
{
	uint32_t c = 0;
	struct task_chunk *chunk;

	while (c < tt->nchunks && tt->chunks[c])
		c++;
	if (c == tt->chunks_cap) {
		uint32_t cap = tt->chunks_cap ? tt->chunks_cap * 2 : 4;
		struct task_chunk **a;
		if (tt->chunks_cap >= MAX_CHUNKS)
			return false;
		if (cap > MAX_CHUNKS)
			cap = MAX_CHUNKS;
		a = krealloc(tt->chunks, (size_t)cap * sizeof(*a));
		if (!a)
			return false;
		tt->chunks = a;
		tt->chunks_cap = cap;
	}
	chunk = kmalloc(sizeof(*chunk));
	if (!chunk)
		return false;
	chunk->live = 0;
	memset(chunk->used, 0, sizeof(chunk->used));
	tt->chunks[c] = chunk;
	tt->empty++;
	if (c == tt->nchunks)
		tt->nchunks++;
	tt->slots += TASK_CHUNK_SLOTS;
	return true;
}

/* The first free slot of chunk c at or after bit `from`, or NO_SLOT. */
static uint32_t free_in_chunk(const struct task_table *tt, uint32_t c, uint32_t from)
{
	const struct task_chunk *chunk = tt->chunks[c];

	if (!chunk || chunk->live == TASK_CHUNK_SLOTS)
		return NO_SLOT;
	for (uint32_t w = from / 64; w < TASK_CHUNK_WORDS; w++) {
		uint64_t free = ~chunk->used[w];
		if (w == from / 64)
			free &= ~0ull << (from % 64);
		if (free)
			return (c << TASK_CHUNK_SHIFT) + w * 64 + (uint32_t)__builtin_ctzll(free);
	}
	return NO_SLOT;
}

/* The first free slot from the cursor on, going round once. */
static uint32_t find_free(const struct task_table *tt)
{
	uint32_t start = tt->cursor >> TASK_CHUNK_SHIFT, slot;

	if (start >= tt->nchunks)
		start = 0;
	for (uint32_t i = 0; i <= tt->nchunks; i++) {
		uint32_t c = (start + i) % tt->nchunks;
		uint32_t from = i == 0 && c == tt->cursor >> TASK_CHUNK_SHIFT
					? tt->cursor & (TASK_CHUNK_SLOTS - 1) : 0;
		if ((slot = free_in_chunk(tt, c, from)) != NO_SLOT)
			return slot;
	}
	return NO_SLOT;
}

/* The slot the cursor points at, if it is free: the usual case, as the
 * cursor runs ahead of the slots handed out. */
static uint32_t free_at_cursor(const struct task_table *tt)
{
	uint32_t c = tt->cursor >> TASK_CHUNK_SHIFT, i = tt->cursor & (TASK_CHUNK_SLOTS - 1);
	const struct task_chunk *chunk;

	if (c >= tt->nchunks || !(chunk = tt->chunks[c]) ||
	    (chunk->used[i / 64] & (1ull << (i % 64))))
		return NO_SLOT;
	return tt->cursor;
}

/* The cursor's slot is taken: search, growing the table first if it is
 * nearly full.  Kept out of line, so the usual case stays a few loads. */
static __attribute__((noinline)) uint32_t search(struct task_table *tt)
{
	if (tt->live >= tt->slots - tt->slots / 64 && !add_chunk(tt) && tt->live == tt->slots)
		return NO_SLOT;	/* full, and no memory for more */
	return find_free(tt);
}

bool task_table_insert(struct task_table *tt, struct task *t)
{
	uint32_t slot = free_at_cursor(tt), i;
	struct task_chunk *chunk;

	if (slot == NO_SLOT && (slot = search(tt)) == NO_SLOT)
		return false;
	chunk = tt->chunks[slot >> TASK_CHUNK_SHIFT];
	i = slot & (TASK_CHUNK_SLOTS - 1);
	if (chunk->live++ == 0)
		tt->empty--;
	chunk->used[i / 64] |= 1ull << (i % 64);
	chunk->task[i] = t;
	chunk->polls[i] = 0;
	tt->live++;
	tt->cursor = slot + 1;
	t->slot = slot;
	return true;
}

/* Chunk c has just emptied: gives it back, but keeps one spare while tasks live, so a
 * count that moves back and forth across a chunk does not allocate and free
 * a chunk each time.  With no task left, everything goes. */
static __attribute__((noinline)) void chunk_emptied(struct task_table *tt, uint32_t c)
{
	uint32_t cursor = tt->cursor;	/* ids keep going */

	if (tt->live == 0) {
		task_table_destroy(tt);
		tt->cursor = cursor;
		return;
	}
	if (++tt->empty == 1)
		return;		/* the spare */
	tt->empty--;
	kfree(tt->chunks[c]);
	tt->chunks[c] = NULL;
	tt->slots -= TASK_CHUNK_SLOTS;
	while (!tt->chunks[tt->nchunks - 1])
		tt->nchunks--;	/* a live task keeps some chunk */
}

void task_table_remove(struct task_table *tt, const struct task *t)
{
	uint32_t c = t->slot >> TASK_CHUNK_SHIFT, i = t->slot & (TASK_CHUNK_SLOTS - 1);
	struct task_chunk *chunk = tt->chunks[c];

	chunk->used[i / 64] &= ~(1ull << (i % 64));
	chunk->task[i] = NULL;
	tt->live--;
	if (--chunk->live == 0)
		chunk_emptied(tt, c);
}

struct task *task_table_get(const struct task_table *tt, uint32_t slot)
{
	uint32_t c = slot >> TASK_CHUNK_SHIFT, i = slot & (TASK_CHUNK_SLOTS - 1);

	if (c >= tt->nchunks || !tt->chunks[c] || !(tt->chunks[c]->used[i / 64] & (1ull << (i % 64))))
		return NULL;
	return tt->chunks[c]->task[i];
}

uint32_t task_table_next(const struct task_table *tt, uint32_t from)
{
	for (uint32_t c = from >> TASK_CHUNK_SHIFT; c < tt->nchunks; c++) {
		const struct task_chunk *chunk = tt->chunks[c];
		uint32_t first = c == from >> TASK_CHUNK_SHIFT ? from & (TASK_CHUNK_SLOTS - 1) : 0;
		if (!chunk || !chunk->live)
			continue;
		for (uint32_t w = first / 64; w < TASK_CHUNK_WORDS; w++) {
			uint64_t used = chunk->used[w];
			if (w == first / 64)
				used &= ~0ull << (first % 64);
			if (used)
				return (c << TASK_CHUNK_SHIFT) + w * 64 +
				       (uint32_t)__builtin_ctzll(used);
		}
	}
	return NO_SLOT;
}
