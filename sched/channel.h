/*
 * channel.h — a bounded multi-producer channel of fixed-size items.
 *
 * Back-pressure both ways: a send into a full channel is PENDING until a
 * receive makes room, a receive from an empty channel is PENDING until a send.
 * After chan_close() sends fail and receives drain what is left, then fail.
 *
 * Executor context only (tasks talking to tasks, on any CPUs).  Interrupt
 * handlers feed tasks through byte_ring + atomic_waker instead.  While other
 * CPUs run, every operation holds the channel's lock, and the wakes it
 * causes are finished after it lets go (waitq.h).
 *
 * Wake policy: one wake per event, oldest waiter first.  A send wakes one
 * receiver, a receive wakes one sender; a woken waiter that is dropped before
 * it runs passes the wake on.  A sender that arrives while others wait may
 * still take a free slot first (the woken one then waits again at the back).
 */
#ifndef COOP_SCHED_CHANNEL_H
#define COOP_SCHED_CHANNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "sched/future.h"
#include "sched/lock.h"
#include "sched/waitq.h"

struct channel {
	struct sched_lock lock;
	uint8_t *buf;
	uint32_t item_size, cap, head, count;
	bool closed;
	struct waitq senders, receivers;
};

/* Allocates room for cap items of item_size bytes.  False if out of memory. */
bool chan_init(struct channel *ch, uint32_t item_size, uint32_t cap);
/* Wakes all waiters (they see a closed channel). */
void chan_close(struct channel *ch);
/* Frees the buffer.  No future may be using the channel any more. */
void chan_destroy(struct channel *ch);
bool chan_try_send(struct channel *ch, const void *item);
bool chan_try_recv(struct channel *ch, void *out);
/* A snapshot while other CPUs run. */
static inline uint32_t chan_len(const struct channel *ch) { return ch->count; }

/* Sends *item (copied when READY; *item must stay valid until then).
 * READY with ok = false if the channel is closed. */
struct chan_send_future {
	struct future base;
	struct channel *ch;
	const void *item;
	struct waiter waiter;
	bool ok;
};

/* Receives into *out.  READY with ok = false once closed and empty. */
struct chan_recv_future {
	struct future base;
	struct channel *ch;
	void *out;
	struct waiter waiter;
	bool ok;
};

void chan_send_init(struct chan_send_future *f, struct channel *ch, const void *item);
void chan_recv_init(struct chan_recv_future *f, struct channel *ch, void *out);

#endif
