/*
 * Red-black tree with a shared black sentinel leaf (after CLRS, ch. 13).
 */

#include <wd_core.h>

static void
wd_rbtree_rotate_left(wd_rbtree_node_t **root, wd_rbtree_node_t *sentinel,
    wd_rbtree_node_t *x)
{
    wd_rbtree_node_t *y;

    y = x->right;
    x->right = y->left;

    if (y->left != sentinel) {
        y->left->parent = x;
    }

    y->parent = x->parent;

    if (x == *root) {
        *root = y;

    } else if (x == x->parent->left) {
        x->parent->left = y;

    } else {
        x->parent->right = y;
    }

    y->left = x;
    x->parent = y;
}

static void
wd_rbtree_rotate_right(wd_rbtree_node_t **root, wd_rbtree_node_t *sentinel,
    wd_rbtree_node_t *x)
{
    wd_rbtree_node_t *y;

    y = x->left;
    x->left = y->right;

    if (y->right != sentinel) {
        y->right->parent = x;
    }

    y->parent = x->parent;

    if (x == *root) {
        *root = y;

    } else if (x == x->parent->right) {
        x->parent->right = y;

    } else {
        x->parent->left = y;
    }

    y->right = x;
    x->parent = y;
}

/* Restores the red-black properties after node was inserted red. */
static void
wd_rbtree_insert_fixup(wd_rbtree_node_t **root, wd_rbtree_node_t *sentinel,
    wd_rbtree_node_t *node)
{
    wd_rbtree_node_t *uncle, *gp;

    while (node != *root && wd_rbt_is_red(node->parent)) {
        gp = node->parent->parent;

        if (node->parent == gp->left) {
            uncle = gp->right;

            if (wd_rbt_is_red(uncle)) {
                wd_rbt_black(node->parent);
                wd_rbt_black(uncle);
                wd_rbt_red(gp);
                node = gp;
                continue;
            }

            if (node == node->parent->right) {
                node = node->parent;
                wd_rbtree_rotate_left(root, sentinel, node);
            }

            wd_rbt_black(node->parent);
            wd_rbt_red(node->parent->parent);
            wd_rbtree_rotate_right(root, sentinel, node->parent->parent);

        } else {
            uncle = gp->left;

            if (wd_rbt_is_red(uncle)) {
                wd_rbt_black(node->parent);
                wd_rbt_black(uncle);
                wd_rbt_red(gp);
                node = gp;
                continue;
            }

            if (node == node->parent->left) {
                node = node->parent;
                wd_rbtree_rotate_right(root, sentinel, node);
            }

            wd_rbt_black(node->parent);
            wd_rbt_red(node->parent->parent);
            wd_rbtree_rotate_left(root, sentinel, node->parent->parent);
        }
    }

    wd_rbt_black(*root);
}

void
wd_rbtree_insert(wd_rbtree_t *tree, wd_rbtree_node_t *node)
{
    wd_rbtree_node_t **root, *sentinel;

    root = &tree->root;
    sentinel = tree->sentinel;

    if (*root == sentinel) {
        node->parent = NULL;
        node->left = sentinel;
        node->right = sentinel;
        wd_rbt_black(node);
        *root = node;
        return;
    }

    tree->insert(*root, node, sentinel);

    wd_rbtree_insert_fixup(root, sentinel, node);
}

void
wd_rbtree_insert_value(wd_rbtree_node_t *temp, wd_rbtree_node_t *node,
    wd_rbtree_node_t *sentinel)
{
    wd_rbtree_node_t **p;

    for (;;) {
        p = (node->key < temp->key) ? &temp->left : &temp->right;

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    wd_rbt_red(node);
}

/* Timer keys are milliseconds that may wrap; compare by signed distance. */
void
wd_rbtree_insert_timer_value(wd_rbtree_node_t *temp, wd_rbtree_node_t *node,
    wd_rbtree_node_t *sentinel)
{
    wd_rbtree_node_t **p;

    for (;;) {
        p = ((wd_rbtree_key_int_t) (node->key - temp->key) < 0)
                ? &temp->left
                : &temp->right;

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    wd_rbt_red(node);
}

/* Puts subtree v in u's place. */
static void
wd_rbtree_transplant(wd_rbtree_node_t **root, wd_rbtree_node_t *u,
    wd_rbtree_node_t *v)
{
    if (u == *root) {
        *root = v;

    } else if (u == u->parent->left) {
        u->parent->left = v;

    } else {
        u->parent->right = v;
    }

    v->parent = u->parent;
}

static void
wd_rbtree_delete_fixup(wd_rbtree_node_t **root, wd_rbtree_node_t *sentinel,
    wd_rbtree_node_t *x)
{
    wd_rbtree_node_t *w;

    while (x != *root && wd_rbt_is_black(x)) {
        if (x == x->parent->left) {
            w = x->parent->right;

            if (wd_rbt_is_red(w)) {
                wd_rbt_black(w);
                wd_rbt_red(x->parent);
                wd_rbtree_rotate_left(root, sentinel, x->parent);
                w = x->parent->right;
            }

            if (wd_rbt_is_black(w->left) && wd_rbt_is_black(w->right)) {
                wd_rbt_red(w);
                x = x->parent;
                continue;
            }

            if (wd_rbt_is_black(w->right)) {
                wd_rbt_black(w->left);
                wd_rbt_red(w);
                wd_rbtree_rotate_right(root, sentinel, w);
                w = x->parent->right;
            }

            w->color = x->parent->color;
            wd_rbt_black(x->parent);
            wd_rbt_black(w->right);
            wd_rbtree_rotate_left(root, sentinel, x->parent);
            x = *root;

        } else {
            w = x->parent->left;

            if (wd_rbt_is_red(w)) {
                wd_rbt_black(w);
                wd_rbt_red(x->parent);
                wd_rbtree_rotate_right(root, sentinel, x->parent);
                w = x->parent->left;
            }

            if (wd_rbt_is_black(w->left) && wd_rbt_is_black(w->right)) {
                wd_rbt_red(w);
                x = x->parent;
                continue;
            }

            if (wd_rbt_is_black(w->left)) {
                wd_rbt_black(w->right);
                wd_rbt_red(w);
                wd_rbtree_rotate_left(root, sentinel, w);
                w = x->parent->left;
            }

            w->color = x->parent->color;
            wd_rbt_black(x->parent);
            wd_rbt_black(w->left);
            wd_rbtree_rotate_right(root, sentinel, x->parent);
            x = *root;
        }
    }

    wd_rbt_black(x);
}

/*
 * The sentinel's parent is written during deletion (CLRS relies on it);
 * that is harmless because nothing reads it outside this function.
 */
void
wd_rbtree_delete(wd_rbtree_t *tree, wd_rbtree_node_t *node)
{
    u_char removed_color;
    wd_rbtree_node_t **root, *sentinel, *y, *x;

    root = &tree->root;
    sentinel = tree->sentinel;

    y = node;
    removed_color = y->color;

    if (node->left == sentinel) {
        x = node->right;
        wd_rbtree_transplant(root, node, x);

    } else if (node->right == sentinel) {
        x = node->left;
        wd_rbtree_transplant(root, node, x);

    } else {
        y = wd_rbtree_min(node->right, sentinel);
        removed_color = y->color;
        x = y->right;

        if (y->parent == node) {
            x->parent = y;

        } else {
            wd_rbtree_transplant(root, y, x);
            y->right = node->right;
            y->right->parent = y;
        }

        wd_rbtree_transplant(root, node, y);
        y->left = node->left;
        y->left->parent = y;
        y->color = node->color;
    }

    if (removed_color == 0) {
        wd_rbtree_delete_fixup(root, sentinel, x);
    }

    if (*root != sentinel) {
        (*root)->parent = NULL;
    }

    node->left = NULL;
    node->right = NULL;
    node->parent = NULL;
    node->key = 0;
}

wd_rbtree_node_t *
wd_rbtree_next(wd_rbtree_t *tree, wd_rbtree_node_t *node)
{
    wd_rbtree_node_t *root, *sentinel, *parent;

    sentinel = tree->sentinel;

    if (node->right != sentinel) {
        return wd_rbtree_min(node->right, sentinel);
    }

    root = tree->root;

    for (;;) {
        parent = node->parent;

        if (node == root || parent == NULL) {
            return NULL;
        }

        if (node == parent->left) {
            return parent;
        }

        node = parent;
    }
}
