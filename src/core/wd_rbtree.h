/*
 * Red-black trees keyed by an unsigned integer (timers, shared-memory
 * indexes).  Equal keys are allowed; the insert hook decides how to order
 * them and may compare a secondary key (e.g. a string).
 */

#ifndef WD_RBTREE_H
#define WD_RBTREE_H

typedef wd_uint_t wd_rbtree_key_t;
typedef wd_int_t wd_rbtree_key_int_t;

typedef struct wd_rbtree_node_s wd_rbtree_node_t;

struct wd_rbtree_node_s {
    wd_rbtree_key_t key;
    wd_rbtree_node_t *left;
    wd_rbtree_node_t *right;
    wd_rbtree_node_t *parent;
    u_char color;
    u_char data;            /* free byte for the user */
};

typedef struct wd_rbtree_s wd_rbtree_t;

/* Places node below root (a plain binary-tree insert) without rebalancing. */
typedef void (*wd_rbtree_insert_pt)(wd_rbtree_node_t *root,
    wd_rbtree_node_t *node, wd_rbtree_node_t *sentinel);

struct wd_rbtree_s {
    wd_rbtree_node_t *root;
    wd_rbtree_node_t *sentinel;
    wd_rbtree_insert_pt insert;
};

#define wd_rbt_red(node) ((node)->color = 1)
#define wd_rbt_black(node) ((node)->color = 0)
#define wd_rbt_is_red(node) ((node)->color)
#define wd_rbt_is_black(node) (!wd_rbt_is_red(node))
#define wd_rbtree_sentinel_init(node) wd_rbt_black(node)

#define wd_rbtree_init(tree, s, i)                                             \
    wd_rbtree_sentinel_init(s);                                                \
    (tree)->root = s;                                                          \
    (tree)->sentinel = s;                                                      \
    (tree)->insert = i

void wd_rbtree_insert(wd_rbtree_t *tree, wd_rbtree_node_t *node);
void wd_rbtree_delete(wd_rbtree_t *tree, wd_rbtree_node_t *node);
/* Insert hooks: by key (ties go right), and by key treated as a wrapping
 * timer value (ties go right). */
void wd_rbtree_insert_value(wd_rbtree_node_t *root, wd_rbtree_node_t *node,
    wd_rbtree_node_t *sentinel);
void wd_rbtree_insert_timer_value(wd_rbtree_node_t *root,
    wd_rbtree_node_t *node, wd_rbtree_node_t *sentinel);
/* In-order successor, or NULL at the end. */
wd_rbtree_node_t *wd_rbtree_next(wd_rbtree_t *tree, wd_rbtree_node_t *node);

static inline wd_rbtree_node_t *
wd_rbtree_min(wd_rbtree_node_t *node, wd_rbtree_node_t *sentinel)
{
    while (node->left != sentinel) {
        node = node->left;
    }

    return node;
}

#endif /* WD_RBTREE_H */
