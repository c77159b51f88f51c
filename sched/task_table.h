/*
 * task_table.h — the live tasks spawned on one CPU, by slot: what `tasks`
 * lists and what executor_teardown cancels.
 *
 * An executor has one table per worker (CPU), and a task lives in the table
 * of the CPU that spawned it, wherever it runs later.  The task's global slot
 * is its slot here and its table's number, interleaved (executor.c), and its
 * id is that slot + 1, so ids are unique among live tasks by construction.
 * Slots are handed out cyclically, like Unix PIDs: the search for a free one
 * starts after the last one given, so a slot (an id) is used again only after
 * the cursor has gone round the whole table.
 *
 * Storage: chunks of TASK_CHUNK_SLOTS slots, each with a bitmap of the used
 * slots, the task pointers, the tasks' poll counts and the CPU that polled
 * each last (kept here rather than in the header, so the header stays at 16
 * bytes: 13 bytes per slot).  The table grows a chunk at a time when all but
 * 1/64 of its slots are used (so the search for a free slot stays short, and
 * a big table is 98 % full), and gives a chunk back when it empties (keeping
 * one spare while any task lives).  Nothing is ever copied or moved: the
 * chunks hang off a two-level directory whose pages, once allocated, stay
 * until the table is destroyed, so another CPU may find a live task's chunk
 * without the lock while the table grows.  At most TASK_MAX_CHUNKS chunks:
 * 64 Mi tasks per CPU.
 *
 * Inserting and removing belong to whoever holds the table: its worker, or,
 * with other CPUs running, its lock (a task may end on another CPU).  The
 * poll count and CPU of a task are written by the worker polling it, which
 * the task's SCHEDULED bit makes one at a time; they are relaxed atomics only
 * so that `tasks` may read them meanwhile.
 */
#ifndef COOP_SCHED_TASK_TABLE_H
#define COOP_SCHED_TASK_TABLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct task;

#define TASK_CHUNK_SHIFT 10
#define TASK_CHUNK_SLOTS (1u << TASK_CHUNK_SHIFT)
#define TASK_CHUNK_WORDS (TASK_CHUNK_SLOTS / 64)

#define TASK_DIR_SHIFT 10			/* chunk pointers per directory page */
#define TASK_DIR_PAGES 64
#define TASK_MAX_CHUNKS (TASK_DIR_PAGES << TASK_DIR_SHIFT)
#define TASK_NO_SLOT UINT32_MAX

struct task_chunk {
	uint32_t live;
	uint64_t used[TASK_CHUNK_WORDS];
	struct task *task[TASK_CHUNK_SLOTS];
	_Atomic uint32_t polls[TASK_CHUNK_SLOTS];
	_Atomic uint8_t cpu[TASK_CHUNK_SLOTS];
};

struct task_table {
	/* Chunk c is dir[c >> TASK_DIR_SHIFT][c & (2^TASK_DIR_SHIFT - 1)];
	 * NULL: never allocated, or given back. */
	struct task_chunk **dir[TASK_DIR_PAGES];
	uint32_t nchunks;		/* chunk numbers in use are below this */
	uint32_t max_chunks;		/* slots stay below max_chunks * TASK_CHUNK_SLOTS */
	uint32_t live;			/* tasks in the table */
	uint32_t slots;			/* slots in allocated chunks */
	uint32_t cursor;		/* where the next search starts */
	uint32_t empty;			/* allocated chunks with no task */
};

/* max_slots: how many slots the table may grow to (rounded down to chunks). */
void task_table_init(struct task_table *tt, uint32_t max_slots);
/* Frees the table's memory (not the tasks). */
void task_table_destroy(struct task_table *tt);
/* Puts t in a free slot and returns it, or TASK_NO_SLOT if out of memory. */
uint32_t task_table_insert(struct task_table *tt, struct task *t);
void task_table_remove(struct task_table *tt, uint32_t slot);
/* The task in slot, or NULL; slot may be anything. */
struct task *task_table_get(const struct task_table *tt, uint32_t slot);
/* The first used slot at or after `from`, or TASK_NO_SLOT: for walking. */
uint32_t task_table_next(const struct task_table *tt, uint32_t from);

/* The chunk of a slot in use. */
static inline struct task_chunk *task_table_chunk(const struct task_table *tt, uint32_t slot)
{
	uint32_t c = slot >> TASK_CHUNK_SHIFT;

	return tt->dir[c >> TASK_DIR_SHIFT][c & ((1u << TASK_DIR_SHIFT) - 1)];
}

/* The task's poll count (wraps at 2^32).  slot must be in use. */
static inline _Atomic uint32_t *task_table_polls(const struct task_table *tt, uint32_t slot)
{
	return &task_table_chunk(tt, slot)->polls[slot & (TASK_CHUNK_SLOTS - 1)];
}

/* The CPU that polled the task last.  slot must be in use. */
static inline _Atomic uint8_t *task_table_cpu(const struct task_table *tt, uint32_t slot)
{
	return &task_table_chunk(tt, slot)->cpu[slot & (TASK_CHUNK_SLOTS - 1)];
}

#endif
