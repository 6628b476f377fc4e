/* Tests for the control-message queue: order, growth, eventfd, threads. */
#include "check.h"
#include "core/queue.h"

#include <poll.h>
#include <stdint.h>

#define PRODUCERS 4
#define PER_PRODUCER 5000

static queue shared;

static void *producer(void *arg)
{
    uintptr_t base = (uintptr_t)arg;
    for (uintptr_t i = 0; i < PER_PRODUCER; i++)
        queue_push(&shared, (void *)(base + i + 1));
    return NULL;
}

int main(void)
{
    queue q;
    CHECK_EQ_INT(queue_init(&q, true), 0);
    CHECK(queue_pop(&q) == NULL);
    for (uintptr_t i = 1; i <= 100; i++)
        CHECK_EQ_INT(queue_push(&q, (void *)i), 0);
    struct pollfd pfd = { .fd = q.event_fd, .events = POLLIN };
    CHECK_EQ_INT(poll(&pfd, 1, 0), 1);
    queue_clear_event(&q);
    CHECK_EQ_INT(poll(&pfd, 1, 0), 0);
    int in_order = 1;
    for (uintptr_t i = 1; i <= 60; i++)
        if ((uintptr_t)queue_pop(&q) != i)
            in_order = 0;
    /* Wrap around the ring after partial draining, then grow again. */
    for (uintptr_t i = 101; i <= 200; i++)
        queue_push(&q, (void *)i);
    for (uintptr_t i = 61; i <= 200; i++)
        if ((uintptr_t)queue_pop(&q) != i)
            in_order = 0;
    CHECK(in_order);
    CHECK(queue_pop(&q) == NULL);
    queue_destroy(&q, NULL);

    /* Several producers: every item arrives exactly once, each producer's in order. */
    CHECK_EQ_INT(queue_init(&shared, false), 0);
    pthread_t threads[PRODUCERS];
    for (uintptr_t t = 0; t < PRODUCERS; t++)
        pthread_create(&threads[t], NULL, producer, (void *)(t * 1000000));
    for (int t = 0; t < PRODUCERS; t++)
        pthread_join(threads[t], NULL);
    uintptr_t last[PRODUCERS] = { 0 };
    int total = 0, ordered = 1;
    void *item;
    while ((item = queue_pop(&shared)) != NULL) {
        uintptr_t v = (uintptr_t)item, t = v / 1000000, n = v % 1000000;
        if (t >= PRODUCERS || n != last[t] + 1)
            ordered = 0;
        else
            last[t] = n;
        total++;
    }
    CHECK_EQ_INT(total, PRODUCERS * PER_PRODUCER);
    CHECK(ordered);
    queue_destroy(&shared, NULL);
    return check_report("queue");
}
