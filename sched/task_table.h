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
 * one spare while any task lives).  No task or chunk is ever moved.  The
 * array of chunk pointers doubles when full; the old array is kept (not
 * freed) until the table empties, so another CPU that polls a task may look
 * up its chunk without the lock while the table grows: whichever array it
 * finds holds that chunk.  At most TASK_MAX_CHUNKS chunks: 64 Mi tasks per
 * CPU.
 *
 * Inserting and removing belong to whoever holds the table: its worker, or,
 * with other CPUs running, its lock (a task may end on another CPU).  The
 * poll count and CPU of a task are written by the worker polling it, which
 * the task's SCHEDULED bit makes one at a time; they are written with relaxed
 * atomic stores only so that `tasks` may read them meanwhile (with one worker,
 * which alone reads them, with a plain add: worker.c).
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

#define TASK_MAX_CHUNKS (1u << 16)
#define TASK_OLD_ARRAYS 16		/* doublings from 4 to TASK_MAX_CHUNKS */
#define TASK_NO_SLOT UINT32_MAX

struct task_chunk {
	uint32_t live;
	uint64_t used[TASK_CHUNK_WORDS];
	struct task *task[TASK_CHUNK_SLOTS];
	uint32_t polls[TASK_CHUNK_SLOTS];	/* relaxed __atomic loads and stores */
	_Atomic uint8_t cpu[TASK_CHUNK_SLOTS];
};

struct task_table {
	/* Chunk c is chunks[c]; NULL: never allocated, or given back. */
	struct task_chunk **_Atomic chunks;
	uint32_t nchunks, chunks_cap;	/* chunk numbers in use are below nchunks */
	struct task_chunk **old[TASK_OLD_ARRAYS];	/* outgrown, kept */
	uint32_t nold;
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

/* The chunk of a slot in use; any CPU, without the lock. */
static inline struct task_chunk *task_table_chunk(const struct task_table *tt, uint32_t slot)
{
	struct task_chunk **chunks = atomic_load_explicit(
		&((struct task_table *)tt)->chunks, memory_order_acquire);

	return chunks[slot >> TASK_CHUNK_SHIFT];
}

/* The task's poll count (wraps at 2^32).  slot must be in use. */
static inline uint32_t *task_table_polls(const struct task_table *tt, uint32_t slot)
{
	return &task_table_chunk(tt, slot)->polls[slot & (TASK_CHUNK_SLOTS - 1)];
}

/* The CPU that polled the task last.  slot must be in use. */
static inline _Atomic uint8_t *task_table_cpu(const struct task_table *tt, uint32_t slot)
{
	return &task_table_chunk(tt, slot)->cpu[slot & (TASK_CHUNK_SLOTS - 1)];
}

#endif
