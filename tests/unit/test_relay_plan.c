/* Tests for the relay bookkeeping: the pairs a conference needs, one relay
 * per pair of bridges shared by conferences, relays opened and closed
 * exactly once, a lost bridge's relays closed, budgets. */
#include "check.h"
#include "focus/relay_plan.h"

#include <stdio.h>
#include <string.h>

static bool same(relay_pair p, int a, int b)
{
    return p.a == a && p.b == b;
}

static bool has_closed(const relay_changes *ch, int a, int b)
{
    for (size_t i = 0; i < ch->n_closed; i++)
        if (same(ch->closed[i], a, b))
            return true;
    return false;
}

static void test_pairs_of(void)
{
    relay_pair out[16];
    int one[] = { 3, 3, 0, 3 };
    CHECK_EQ_INT((int)relay_pairs_of(one, 4, out, 16), 0);          /* one bridge: no relay */
    int two[] = { 5, 2, 5, 0, 2 };
    CHECK_EQ_INT((int)relay_pairs_of(two, 5, out, 16), 1);
    CHECK(same(out[0], 2, 5));
    int three[] = { 9, 1, 4, 1, 9 };
    CHECK_EQ_INT((int)relay_pairs_of(three, 5, out, 16), 3);        /* a full mesh, sorted */
    CHECK(same(out[0], 1, 4) && same(out[1], 1, 9) && same(out[2], 4, 9));
    /* cap: the count is still told. */
    CHECK_EQ_INT((int)relay_pairs_of(three, 5, out, 2), 3);
    CHECK_EQ_INT((int)relay_pairs_of(NULL, 0, out, 16), 0);
}

static void test_shared_relays(void)
{
    relay_table *t = relay_table_new();
    relay_changes ch;
    relay_pair ab[] = { { 1, 2 } }, abc[] = { { 1, 2 }, { 1, 3 }, { 2, 3 } }, bc[] = { { 2, 3 } };

    CHECK_EQ_INT(relay_table_set(t, "physics", ab, 1, &ch), 0);
    CHECK_EQ_INT((int)ch.n_opened, 1);
    CHECK(same(ch.opened[0], 1, 2));
    CHECK_EQ_INT((int)ch.n_closed, 0);
    /* The same again: nothing happens. */
    CHECK_EQ_INT(relay_table_set(t, "physics", ab, 1, &ch), 0);
    CHECK_EQ_INT((int)(ch.n_opened + ch.n_closed), 0);
    /* Another conference on the same two bridges shares the relay. */
    CHECK_EQ_INT(relay_table_set(t, "chemistry", ab, 1, &ch), 0);
    CHECK_EQ_INT((int)(ch.n_opened + ch.n_closed), 0);
    CHECK_EQ_INT(relay_table_users(t, ab[0]), 2);
    CHECK_EQ_INT((int)relay_table_open(t), 1);
    /* physics grows to a third bridge: two relays open, the shared one stays. */
    CHECK_EQ_INT(relay_table_set(t, "physics", abc, 3, &ch), 0);
    CHECK_EQ_INT((int)ch.n_opened, 2);
    CHECK(same(ch.opened[0], 1, 3) && same(ch.opened[1], 2, 3));
    CHECK_EQ_INT((int)ch.n_closed, 0);
    CHECK_EQ_INT((int)relay_table_open(t), 3);
    /* chemistry ends: the relay 1-2 is still physics's. */
    CHECK_EQ_INT(relay_table_set(t, "chemistry", NULL, 0, &ch), 0);
    CHECK_EQ_INT((int)(ch.n_opened + ch.n_closed), 0);
    CHECK_EQ_INT(relay_table_users(t, ab[0]), 1);
    /* physics leaves bridge 1: relays 1-2 and 1-3 close. */
    CHECK_EQ_INT(relay_table_set(t, "physics", bc, 1, &ch), 0);
    CHECK_EQ_INT((int)ch.n_opened, 0);
    CHECK_EQ_INT((int)ch.n_closed, 2);
    CHECK(has_closed(&ch, 1, 2) && has_closed(&ch, 1, 3));
    CHECK_EQ_INT((int)relay_table_open(t), 1);
    CHECK_EQ_INT(relay_table_set(t, "physics", NULL, 0, &ch), 0);
    CHECK_EQ_INT((int)ch.n_closed, 1);
    CHECK_EQ_INT((int)relay_table_open(t), 0);
    /* Forgetting a conference that needs nothing is not an error. */
    CHECK_EQ_INT(relay_table_set(t, "never", NULL, 0, &ch), 0);
    relay_table_free(t);
}

static void test_lost_bridge(void)
{
    relay_table *t = relay_table_new();
    relay_changes ch;
    relay_pair abc[] = { { 1, 2 }, { 1, 3 }, { 2, 3 } }, cd[] = { { 3, 4 } }, ac[] = { { 1, 3 } };
    CHECK_EQ_INT(relay_table_set(t, "x", abc, 3, &ch), 0);
    CHECK_EQ_INT(relay_table_set(t, "y", cd, 1, &ch), 0);
    CHECK_EQ_INT(relay_table_set(t, "z", ac, 1, &ch), 0);
    relay_table_drop_bridge(t, 3, &ch);
    CHECK_EQ_INT((int)ch.n_closed, 3);   /* 1-3 (x and z), 2-3, 3-4: each once */
    CHECK(has_closed(&ch, 1, 3) && has_closed(&ch, 2, 3) && has_closed(&ch, 3, 4));
    CHECK_EQ_INT((int)relay_table_open(t), 1);
    CHECK_EQ_INT(relay_table_users(t, abc[0]), 1);
    /* y and z needed nothing else and are forgotten; x keeps 1-2. */
    CHECK_EQ_INT(relay_table_set(t, "y", cd, 1, &ch), 0);
    CHECK_EQ_INT((int)ch.n_opened, 1);   /* y anew: its relay opens again */
    relay_table_drop_bridge(t, 99, &ch);
    CHECK_EQ_INT((int)ch.n_closed, 0);
    relay_table_free(t);
}

static void test_refusals(void)
{
    relay_table *t = relay_table_new();
    relay_changes ch;
    relay_pair unsorted[] = { { 2, 3 }, { 1, 2 } }, dup[] = { { 1, 2 }, { 1, 2 } }, backwards[] = { { 3, 1 } },
               self[] = { { 2, 2 } }, zero[] = { { 0, 2 } };
    CHECK_EQ_INT(relay_table_set(t, "c", unsorted, 2, &ch), -1);
    CHECK_EQ_INT(relay_table_set(t, "c", dup, 2, &ch), -1);
    CHECK_EQ_INT(relay_table_set(t, "c", backwards, 1, &ch), -1);
    CHECK_EQ_INT(relay_table_set(t, "c", self, 1, &ch), -1);
    CHECK_EQ_INT(relay_table_set(t, "c", zero, 1, &ch), -1);
    CHECK_EQ_INT((int)relay_table_open(t), 0);
    /* Too many pairs for one conference. */
    relay_pair many[RELAY_MAX_CONF_PAIRS + 1];
    for (int i = 0; i <= RELAY_MAX_CONF_PAIRS; i++)
        many[i] = (relay_pair){ 1, i + 2 };
    CHECK_EQ_INT(relay_table_set(t, "big", many, RELAY_MAX_CONF_PAIRS + 1, &ch), -1);
    CHECK_EQ_INT(relay_table_set(t, "big", many, RELAY_MAX_CONF_PAIRS, &ch), 0);
    CHECK_EQ_INT((int)ch.n_opened, RELAY_MAX_CONF_PAIRS);
    /* The relay budget across conferences: refused whole, nothing changed. */
    int made = 0;
    char name[32];
    for (int c = 0; c < RELAY_MAX_PAIRS; c++) {
        relay_pair p[] = { { 100 + c, 1000 + c } };
        snprintf(name, sizeof name, "conf-%d", c);
        if (relay_table_set(t, name, p, 1, &ch) == 0)
            made++;
    }
    CHECK_EQ_INT(made, RELAY_MAX_PAIRS - RELAY_MAX_CONF_PAIRS);
    CHECK_EQ_INT((int)relay_table_open(t), RELAY_MAX_PAIRS);
    relay_pair shared[] = { { 1, 2 } };
    CHECK_EQ_INT(relay_table_set(t, "joins-an-open-relay", shared, 1, &ch), 0);   /* no new relay needed */
    CHECK_EQ_INT(relay_table_users(t, shared[0]), 2);
    relay_table_free(t);
}

int main(void)
{
    test_pairs_of();
    test_shared_relays();
    test_lost_bridge();
    test_refusals();
    return check_report("relay_plan");
}
