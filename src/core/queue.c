/* Mutex-protected ring buffer of pointers with an optional eventfd doorbell. */
#include "core/queue.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

int queue_init(queue *q, bool with_event_fd)
{
    q->items = NULL;
    q->head = q->count = q->cap = 0;
    q->event_fd = -1;
    pthread_mutex_init(&q->lock, NULL);
    if (with_event_fd) {
        q->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (q->event_fd < 0)
            return -1;
    }
    return 0;
}

void queue_destroy(queue *q, void (*free_item)(void *))
{
    void *item;
    while ((item = queue_pop(q)) != NULL)
        if (free_item)
            free_item(item);
    free(q->items);
    q->items = NULL;
    if (q->event_fd >= 0)
        close(q->event_fd);
    q->event_fd = -1;
    pthread_mutex_destroy(&q->lock);
}

static int queue_grow(queue *q)
{
    size_t cap = q->cap ? q->cap * 2 : 16;
    void **items = malloc(cap * sizeof *items);
    if (!items)
        return -1;
    for (size_t i = 0; i < q->count; i++)
        items[i] = q->items[(q->head + i) % q->cap];
    free(q->items);
    q->items = items;
    q->head = 0;
    q->cap = cap;
    return 0;
}

int queue_push(queue *q, void *item)
{
    pthread_mutex_lock(&q->lock);
    if (q->count == q->cap && queue_grow(q) < 0) {
        pthread_mutex_unlock(&q->lock);
        return -1;
    }
    q->items[(q->head + q->count) % q->cap] = item;
    q->count++;
    pthread_mutex_unlock(&q->lock);
    if (q->event_fd >= 0) {
        uint64_t one = 1;
        /* A full counter only means the reader is already due to wake. */
        ssize_t rc = write(q->event_fd, &one, sizeof one);
        (void)rc;
    }
    return 0;
}

void *queue_pop(queue *q)
{
    void *item = NULL;
    pthread_mutex_lock(&q->lock);
    if (q->count > 0) {
        item = q->items[q->head];
        q->head = (q->head + 1) % q->cap;
        q->count--;
    }
    pthread_mutex_unlock(&q->lock);
    return item;
}

void queue_clear_event(queue *q)
{
    (void)queue_take_event(q);
}

bool queue_take_event(queue *q)
{
    uint64_t value;
    return q->event_fd >= 0 && read(q->event_fd, &value, sizeof value) == (ssize_t)sizeof value;
}
