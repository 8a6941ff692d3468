/*
 * Unit tests of src/core/wd_rbtree.c: random inserts and deletes checked
 * against the red-black invariants after each step, in-order walks with
 * wd_rbtree_min/next, ties, and timer keys that wrap around.
 */

#include "../wd_unit.h"

#define N 4000

static wd_rbtree_t tree;
static wd_rbtree_node_t sentinel;
static wd_rbtree_node_t nodes[N];

static uint64_t rng_state;

static uint64_t
rng(void)
{
    /* xorshift64: fixed seed, so a failure reproduces */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;

    return rng_state;
}

static void
shuffle(wd_uint_t *a, wd_uint_t n)
{
    wd_uint_t i, j, t;

    for (i = n - 1; i > 0; i--) {
        j = rng() % (i + 1);
        t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

static void
setup(void)
{
    rng_state = 0x9e3779b97f4a7c15ULL;
    memset(nodes, 0, sizeof(nodes));
    memset(&sentinel, 0, sizeof(sentinel));
    wd_rbtree_init(&tree, &sentinel, wd_rbtree_insert_value);
}

/* Key order of the tree: plain, or as wrapping timer values. */
static int timer_order;

static int
key_before(wd_rbtree_key_t a, wd_rbtree_key_t b)
{
    if (timer_order) {
        return (wd_rbtree_key_int_t) (a - b) < 0;
    }

    return a < b;
}

/* Checks the subtree at node; returns its black height and counts its
 * nodes into *n. */
static int
check_subtree(wd_rbtree_node_t *node, wd_rbtree_node_t *parent, wd_uint_t *n)
{
    int lh, rh;

    if (node == &sentinel) {
        return 1;
    }

    (*n)++;
    ck_assert_msg(*n <= N, "cycle in the tree");
    ck_assert_ptr_eq(node->parent, parent);
    ck_assert_ptr_nonnull(node->left);
    ck_assert_ptr_nonnull(node->right);

    if (wd_rbt_is_red(node)) {
        ck_assert_msg(wd_rbt_is_black(node->left)
                      && wd_rbt_is_black(node->right),
                      "red node %lu has a red child",
                      (unsigned long) node->key);
    }

    if (node->left != &sentinel) {
        ck_assert(!key_before(node->key, node->left->key));
    }

    if (node->right != &sentinel) {
        ck_assert(!key_before(node->right->key, node->key));
    }

    lh = check_subtree(node->left, node, n);
    rh = check_subtree(node->right, node, n);
    ck_assert_int_eq(lh, rh);

    return lh + wd_rbt_is_black(node);
}

/* All red-black properties, the parent links, and the node count. */
static void
check_tree(wd_uint_t expect_n)
{
    wd_uint_t n = 0;

    ck_assert(wd_rbt_is_black(&sentinel));

    if (tree.root == &sentinel) {
        ck_assert_uint_eq(expect_n, 0);
        return;
    }

    ck_assert(wd_rbt_is_black(tree.root));
    ck_assert_ptr_null(tree.root->parent);
    (void) check_subtree(tree.root, NULL, &n);
    ck_assert_uint_eq(n, expect_n);
}

/* Walks min..next and checks the keys come in order; returns the count. */
static wd_uint_t
check_walk(void)
{
    wd_uint_t n;
    wd_rbtree_node_t *node, *prev;

    if (tree.root == &sentinel) {
        return 0;
    }

    n = 0;
    prev = NULL;

    for (node = wd_rbtree_min(tree.root, &sentinel); node;
         node = wd_rbtree_next(&tree, node))
    {
        if (prev) {
            ck_assert(!key_before(node->key, prev->key));
        }

        prev = node;
        n++;
        ck_assert_uint_le(n, N);
    }

    return n;
}

START_TEST(test_single_node)
{
    nodes[0].key = 42;
    wd_rbtree_insert(&tree, &nodes[0]);
    check_tree(1);

    ck_assert_ptr_eq(wd_rbtree_min(tree.root, &sentinel), &nodes[0]);
    ck_assert_ptr_null(wd_rbtree_next(&tree, &nodes[0]));

    wd_rbtree_delete(&tree, &nodes[0]);
    ck_assert_ptr_eq(tree.root, &sentinel);
    check_tree(0);

    /* a deleted node is cleared */
    ck_assert_ptr_null(nodes[0].left);
    ck_assert_ptr_null(nodes[0].right);
    ck_assert_ptr_null(nodes[0].parent);
    ck_assert_uint_eq(nodes[0].key, 0);
}
END_TEST

START_TEST(test_sequential_inserts)
{
    wd_uint_t i;

    /* ascending keys are the classic worst case for rotations */
    for (i = 0; i < N; i++) {
        nodes[i].key = i;
        wd_rbtree_insert(&tree, &nodes[i]);
    }

    check_tree(N);
    ck_assert_uint_eq(check_walk(), N);
    ck_assert_ptr_eq(wd_rbtree_min(tree.root, &sentinel), &nodes[0]);

    for (i = 0; i < N; i++) {
        wd_rbtree_delete(&tree, &nodes[i]);

        if (i % 97 == 0) {
            check_tree(N - i - 1);
        }

        if (i + 1 < N) {
            ck_assert_ptr_eq(wd_rbtree_min(tree.root, &sentinel),
                             &nodes[i + 1]);
        }
    }

    ck_assert_ptr_eq(tree.root, &sentinel);
}
END_TEST

START_TEST(test_random_insert_delete)
{
    static wd_uint_t order[N];
    wd_uint_t i, j, n, min_i, live[N];

    for (i = 0; i < N; i++) {
        /* a small range, so there are plenty of equal keys */
        nodes[i].key = rng() % (N / 4);
        order[i] = i;
        live[i] = 0;
    }

    for (i = 0; i < N; i++) {
        wd_rbtree_insert(&tree, &nodes[i]);
        live[i] = 1;

        if (i % 50 == 0 || i < 64) {
            check_tree(i + 1);
        }
    }

    check_tree(N);
    ck_assert_uint_eq(check_walk(), N);

    shuffle(order, N);
    n = N;

    for (i = 0; i < N; i++) {
        wd_rbtree_delete(&tree, &nodes[order[i]]);
        live[order[i]] = 0;
        n--;

        if (i % 50 == 0 || n < 64) {
            check_tree(n);
            ck_assert_uint_eq(check_walk(), n);
        }

        if (n && i % 200 == 0) {
            /* the minimum is the smallest key still in the tree */
            for (min_i = 0; !live[min_i]; min_i++) { /* void */ }

            for (j = 0; j < N; j++) {
                if (live[j] && nodes[j].key < nodes[min_i].key) {
                    min_i = j;
                }
            }

            ck_assert_uint_eq(wd_rbtree_min(tree.root, &sentinel)->key,
                              nodes[min_i].key);
        }
    }

    ck_assert_ptr_eq(tree.root, &sentinel);
}
END_TEST

START_TEST(test_interleaved)
{
    wd_uint_t i, k, n;
    u_char in[N];

    memset(in, 0, sizeof(in));
    n = 0;

    /* random inserts and deletes mixed, as timers are */
    for (i = 0; i < 4 * N; i++) {
        k = rng() % N;

        if (in[k]) {
            wd_rbtree_delete(&tree, &nodes[k]);
            in[k] = 0;
            n--;

        } else {
            nodes[k].key = rng() % 1000;
            wd_rbtree_insert(&tree, &nodes[k]);
            in[k] = 1;
            n++;
        }

        if (i % 100 == 0) {
            check_tree(n);
        }
    }

    check_tree(n);
    ck_assert_uint_eq(check_walk(), n);
}
END_TEST

START_TEST(test_ties_keep_insertion_order)
{
    wd_uint_t i, seen;
    wd_rbtree_node_t *node;

    /* equal keys go right: a walk meets them in the order inserted */
    for (i = 0; i < 200; i++) {
        nodes[i].key = (i % 3 == 0) ? 7 : 3 + (i % 2) * 10;
        nodes[i].data = (u_char) i;
        wd_rbtree_insert(&tree, &nodes[i]);
    }

    check_tree(200);

    seen = 0;
    node = wd_rbtree_min(tree.root, &sentinel);

    for (i = 0; node; node = wd_rbtree_next(&tree, node)) {
        if (node->key == 7) {
            ck_assert_uint_eq(node->data, (u_char) (3 * seen));
            seen++;
        }
        i++;
    }

    ck_assert_uint_eq(i, 200);
    ck_assert_uint_eq(seen, 67);
}
END_TEST

START_TEST(test_timer_keys_wrap)
{
    static wd_uint_t order[2000];
    wd_rbtree_key_t base;
    wd_rbtree_node_t *node;
    wd_uint_t i;

    timer_order = 1;
    wd_rbtree_init(&tree, &sentinel, wd_rbtree_insert_timer_value);

    /* the keys wrap past the largest value, as wd_current_msec may */
    base = (wd_rbtree_key_t) -1000;

    for (i = 0; i < 2000; i++) {
        order[i] = i;
    }

    shuffle(order, 2000);

    for (i = 0; i < 2000; i++) {
        nodes[order[i]].key = base + order[i];
        wd_rbtree_insert(&tree, &nodes[order[i]]);
    }

    check_tree(2000);

    /* the earliest timer is the one before the wrap */
    node = wd_rbtree_min(tree.root, &sentinel);
    ck_assert_ptr_eq(node, &nodes[0]);
    ck_assert_uint_eq(node->key, base);

    for (i = 0; node; node = wd_rbtree_next(&tree, node), i++) {
        ck_assert_ptr_eq(node, &nodes[i]);
    }

    ck_assert_uint_eq(i, 2000);

    /* expire them one by one, earliest first */
    for (i = 0; i < 2000; i++) {
        node = wd_rbtree_min(tree.root, &sentinel);
        ck_assert_ptr_eq(node, &nodes[i]);
        wd_rbtree_delete(&tree, node);

        if (i % 100 == 0) {
            check_tree(2000 - i - 1);
        }
    }

    ck_assert_ptr_eq(tree.root, &sentinel);
    timer_order = 0;
}
END_TEST

static Suite *
rbtree_suite(void)
{
    Suite *s;
    TCase *tc;

    s = suite_create("wd_rbtree");

    tc = tcase_create("rbtree");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_single_node);
    tcase_add_test(tc, test_sequential_inserts);
    tcase_add_test(tc, test_random_insert_delete);
    tcase_add_test(tc, test_interleaved);
    tcase_add_test(tc, test_ties_keep_insertion_order);
    tcase_add_test(tc, test_timer_keys_wrap);
    suite_add_tcase(s, tc);

    return s;
}

WD_UNIT_MAIN(rbtree_suite)
