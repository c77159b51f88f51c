/*
 * task_table.c — see task_table.h.
 */
#include "sched/task_table.h"

#include "kernel/lib/string.h"
#include "mm/heap.h"

#define NO_SLOT TASK_NO_SLOT

void task_table_init(struct task_table *tt, uint32_t max_slots)
{
	uint32_t max = max_slots / TASK_CHUNK_SLOTS;

	*tt = (struct task_table){ .max_chunks = max < TASK_MAX_CHUNKS ? max : TASK_MAX_CHUNKS };
}

/* The owner's view: it holds the lock, or is the only CPU. */
static struct task_chunk **chunks_of(const struct task_table *tt)
{
	return atomic_load_explicit(&((struct task_table *)tt)->chunks, memory_order_relaxed);
}

static struct task_chunk *chunk_at(const struct task_table *tt, uint32_t c)
{
	return chunks_of(tt)[c];
}

void task_table_destroy(struct task_table *tt)
{
	for (uint32_t c = 0; c < tt->nchunks; c++)
		kfree(chunk_at(tt, c));
	kfree(chunks_of(tt));
	for (uint32_t i = 0; i < tt->nold; i++)
		kfree(tt->old[i]);
	*tt = (struct task_table){ .max_chunks = tt->max_chunks };
}

/* A bigger array of chunk pointers.  The old one stays readable (kept in
 * tt->old) for CPUs that loaded it before the switch. */
static bool grow_array(struct task_table *tt)
{
	uint32_t cap = tt->chunks_cap ? tt->chunks_cap * 2 : 4;
	struct task_chunk **a, **prev = chunks_of(tt);

	if (tt->chunks_cap >= tt->max_chunks || tt->nold == TASK_OLD_ARRAYS)
		return false;
	if (cap > tt->max_chunks)
		cap = tt->max_chunks;
	a = kmalloc((size_t)cap * sizeof(*a));
	if (!a)
		return false;
	for (uint32_t c = 0; c < cap; c++)
		a[c] = c < tt->chunks_cap ? prev[c] : NULL;
	/* Release: the copied pointers are in place before anyone finds a. */
	atomic_store_explicit(&tt->chunks, a, memory_order_release);
	if (prev)
		tt->old[tt->nold++] = prev;
	tt->chunks_cap = cap;
	return true;
}

/* A new chunk in the first free place of the array. */
static bool add_chunk(struct task_table *tt)
{
	uint32_t c = 0;
	struct task_chunk *chunk;

	while (c < tt->nchunks && chunk_at(tt, c))
		c++;
	if (c == tt->chunks_cap && !grow_array(tt))
		return false;
	chunk = kmalloc(sizeof(*chunk));
	if (!chunk)
		return false;
	chunk->live = 0;
	memset(chunk->used, 0, sizeof(chunk->used));
	chunks_of(tt)[c] = chunk;
	tt->empty++;
	if (c == tt->nchunks)
		tt->nchunks++;
	tt->slots += TASK_CHUNK_SLOTS;
	return true;
}

/* The first free slot of chunk c at or after bit `from`, or NO_SLOT. */
static uint32_t free_in_chunk(const struct task_table *tt, uint32_t c, uint32_t from)
{
	const struct task_chunk *chunk = chunk_at(tt, c);

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

	if (c >= tt->nchunks || !(chunk = chunk_at(tt, c)) ||
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

uint32_t task_table_insert(struct task_table *tt, struct task *t)
{
	uint32_t slot = free_at_cursor(tt), i;
	struct task_chunk *chunk;

	if (slot == NO_SLOT && (slot = search(tt)) == NO_SLOT)
		return NO_SLOT;
	chunk = chunk_at(tt, slot >> TASK_CHUNK_SHIFT);
	i = slot & (TASK_CHUNK_SLOTS - 1);
	if (chunk->live++ == 0)
		tt->empty--;
	chunk->used[i / 64] |= 1ull << (i % 64);
	chunk->task[i] = t;
	__atomic_store_n(&chunk->polls[i], 0, __ATOMIC_RELAXED);
	tt->live++;
	tt->cursor = slot + 1;
	return slot;
}

/* Chunk c has just emptied: gives it back, but keeps one spare while tasks
 * live, so a count that moves back and forth across a chunk does not
 * allocate and free a chunk each time.  With no task left, everything goes
 * (no other CPU can be looking at a chunk of this table then). */
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
	kfree(chunk_at(tt, c));
	chunks_of(tt)[c] = NULL;
	tt->slots -= TASK_CHUNK_SLOTS;
	while (!chunk_at(tt, tt->nchunks - 1))
		tt->nchunks--;	/* a live task keeps some chunk */
}

void task_table_remove(struct task_table *tt, uint32_t slot)
{
	uint32_t c = slot >> TASK_CHUNK_SHIFT, i = slot & (TASK_CHUNK_SLOTS - 1);
	struct task_chunk *chunk = chunk_at(tt, c);

	chunk->used[i / 64] &= ~(1ull << (i % 64));
	chunk->task[i] = NULL;
	tt->live--;
	if (--chunk->live == 0)
		chunk_emptied(tt, c);
}

struct task *task_table_get(const struct task_table *tt, uint32_t slot)
{
	uint32_t c = slot >> TASK_CHUNK_SHIFT, i = slot & (TASK_CHUNK_SLOTS - 1);
	const struct task_chunk *chunk = c < tt->nchunks ? chunk_at(tt, c) : NULL;

	if (!chunk || !(chunk->used[i / 64] & (1ull << (i % 64))))
		return NULL;
	return chunk->task[i];
}

uint32_t task_table_next(const struct task_table *tt, uint32_t from)
{
	for (uint32_t c = from >> TASK_CHUNK_SHIFT; c < tt->nchunks; c++) {
		const struct task_chunk *chunk = chunk_at(tt, c);
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
