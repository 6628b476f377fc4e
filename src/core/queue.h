/* A thread-safe FIFO of pointers for control messages between threads,
 * optionally signalling an eventfd so an epoll loop wakes up. Not for media:
 * it takes a mutex, which is fine at control-message rates. */
#ifndef STOA_QUEUE_H
#define STOA_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct queue {
    pthread_mutex_t lock;
    void **items;
    size_t head;
    size_t count;
    size_t cap;
    int event_fd;              /* -1 when the queue has none */
} queue;

/* Returns 0, or -1 when the eventfd cannot be created. */
int queue_init(queue *q, bool with_event_fd);
/* Frees what is still queued with free_item (may be NULL) and the queue itself. */
void queue_destroy(queue *q, void (*free_item)(void *));
/* Appends item (never NULL) and signals the eventfd. Returns 0, or -1 when
 * out of memory (the item is not queued then; the caller still owns it). */
int queue_push(queue *q, void *item);
/* Removes and returns the oldest item, or NULL when empty. */
void *queue_pop(queue *q);
/* Resets the eventfd counter; call before draining with queue_pop. */
void queue_clear_event(queue *q);
/* Resets the eventfd counter and tells whether it was signalled since the
 * last reset (a non-blocking read: no lock). */
bool queue_take_event(queue *q);

#endif
