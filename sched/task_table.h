/*
 * task_table.h — every live task of an executor, by slot: what `tasks`
 * lists and what executor_teardown cancels.
 *
 * A task's slot is its id (id = slot + 1), so ids are unique among live
 * tasks by construction.  Slots are handed out cyclically, like Unix PIDs:
 * the search for a free one starts after the last one given, so a slot (an
 * id) is used again only after the cursor has gone round the whole table.
 *
 * Storage: chunks of TASK_CHUNK_SLOTS slots, each with a bitmap of the used
 * slots, the task pointers and the tasks' poll counts (kept here rather than
 * in the header, so the header stays at 16 bytes: 12 bytes per slot).  The
 * table grows a chunk at a time when all but 1/64 of its slots are used (so
 * the search for a free slot stays short, and a big table is 98 % full), and gives a chunk back when it empties (keeping one
 * spare while any task lives).  Nothing is ever copied or moved.
 *
 * Executor only.  Built so it can be split per CPU later: a chunk's bitmap
 * words are the only shared state a remote remove would touch.
 */
#ifndef COOP_SCHED_TASK_TABLE_H
#define COOP_SCHED_TASK_TABLE_H

#include <stdbool.h>
#include <stdint.h>

struct task;

#define TASK_CHUNK_SHIFT 10
#define TASK_CHUNK_SLOTS (1u << TASK_CHUNK_SHIFT)
#define TASK_CHUNK_WORDS (TASK_CHUNK_SLOTS / 64)

struct task_chunk {
	uint32_t live;
	uint64_t used[TASK_CHUNK_WORDS];
	struct task *task[TASK_CHUNK_SLOTS];
	uint32_t polls[TASK_CHUNK_SLOTS];
};

struct task_table {
	struct task_chunk **chunks;	/* NULL: a chunk given back */
	uint32_t nchunks, chunks_cap;
	uint32_t live;			/* tasks in the table */
	uint32_t slots;			/* slots in allocated chunks */
	uint32_t cursor;		/* where the next search starts */
	uint32_t empty;			/* allocated chunks with no task */
};

void task_table_init(struct task_table *tt);
/* Frees the table's memory (not the tasks). */
void task_table_destroy(struct task_table *tt);
/* Gives t a slot (t->slot).  False if out of memory. */
bool task_table_insert(struct task_table *tt, struct task *t);
void task_table_remove(struct task_table *tt, const struct task *t);
/* The task in slot, or NULL; slot may be anything. */
struct task *task_table_get(const struct task_table *tt, uint32_t slot);
/* The first used slot at or after `from`, or UINT32_MAX: for walking. */
uint32_t task_table_next(const struct task_table *tt, uint32_t from);

/* The task's poll count (wraps at 2^32).  slot must be in use. */
static inline uint32_t *task_table_polls(const struct task_table *tt, uint32_t slot)
{
	return &tt->chunks[slot >> TASK_CHUNK_SHIFT]->polls[slot & (TASK_CHUNK_SLOTS - 1)];
}

#endif
