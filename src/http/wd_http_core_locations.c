/*
 * Locations: collected per level while configuring, then split into
 * named, regex and prefix/exact ones.  Prefix and exact locations of a
 * level go into a compressed trie walked once per lookup: the longest
 * prefix (or an exact match) in O(length of the URI).
 */

#include <wd_http.h>

wd_int_t
wd_http_add_location(wd_conf_t *cf, wd_queue_t **locations,
    wd_http_core_loc_conf_t *clcf)
{
    wd_http_location_queue_t *lq;

    if (*locations == NULL) {
        *locations = wd_palloc(cf->temp_pool, sizeof(wd_queue_t));

        if (*locations == NULL) {
            return WD_ERROR;
        }

        wd_queue_init(*locations);
    }

    lq = wd_palloc(cf->temp_pool, sizeof(wd_http_location_queue_t));

    if (lq == NULL) {
        return WD_ERROR;
    }

    if (clcf->exact_match || clcf->regex || clcf->named || clcf->noname) {
        lq->exact = clcf;
        lq->inclusive = NULL;

    } else {
        lq->exact = NULL;
        lq->inclusive = clcf;
    }

    lq->name = &clcf->name;
    lq->file_name = cf->conf_file->name.data;
    lq->line = cf->conf_file->line;

    wd_queue_insert_tail(*locations, &lq->queue);

    return WD_OK;
}

static wd_http_location_node_t *
wd_http_trie_node(wd_pool_t *pool, u_char *label, size_t len)
{
    wd_http_location_node_t *node;

    node = wd_pcalloc(pool, sizeof(wd_http_location_node_t));

    if (node == NULL) {
        return NULL;
    }

    node->label = label;
    node->len = len;

    return node;
}

/* Inserts child into parent's children, keeping them sorted. */
static wd_int_t
wd_http_trie_add_child(wd_pool_t *pool, wd_http_location_node_t *parent,
    wd_http_location_node_t *child)
{
    wd_uint_t i, pos;
    wd_http_location_node_t **children;

    children = wd_palloc(pool, (parent->nchildren + 1) * sizeof(void *));

    if (children == NULL) {
        return WD_ERROR;
    }

    for (pos = 0; pos < parent->nchildren; pos++) {
        if (parent->children[pos]->label[0] > child->label[0]) {
            break;
        }
    }

    for (i = 0; i < pos; i++) {
        children[i] = parent->children[i];
    }

    children[pos] = child;

    for (i = pos; i < parent->nchildren; i++) {
        children[i + 1] = parent->children[i];
    }

    parent->children = children;
    parent->nchildren++;

    return WD_OK;
}

static wd_http_location_node_t *
wd_http_trie_child(wd_http_location_node_t *node, u_char c)
{
    wd_uint_t lo, hi, mid;

    lo = 0;
    hi = node->nchildren;

    while (lo < hi) {
        mid = (lo + hi) / 2;

        if (node->children[mid]->label[0] == c) {
            return node->children[mid];
        }

        if (node->children[mid]->label[0] < c) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }

    return NULL;
}

/* Splits node after len bytes of its label: the tail becomes a child. */
static wd_int_t
wd_http_trie_split(wd_pool_t *pool, wd_http_location_node_t *node,
    size_t len)
{
    wd_http_location_node_t *tail;

    tail = wd_http_trie_node(pool, node->label + len, node->len - len);

    if (tail == NULL) {
        return WD_ERROR;
    }

    tail->exact = node->exact;
    tail->inclusive = node->inclusive;
    tail->children = node->children;
    tail->nchildren = node->nchildren;

    node->len = len;
    node->exact = NULL;
    node->inclusive = NULL;
    node->children = NULL;
    node->nchildren = 0;

    return wd_http_trie_add_child(pool, node, tail);
}

wd_int_t
wd_http_location_trie_insert(wd_pool_t *pool, wd_http_location_node_t *root,
    wd_http_core_loc_conf_t *clcf)
{
    u_char *name;
    size_t len, common;
    wd_http_location_node_t *node, *child;

    name = clcf->name.data;
    len = clcf->name.len;
    node = root;

    while (len) {
        child = wd_http_trie_child(node, name[0]);

        if (child == NULL) {
            child = wd_http_trie_node(pool, name, len);

            if (child == NULL
                || wd_http_trie_add_child(pool, node, child) != WD_OK)
            {
                return WD_ERROR;
            }

            node = child;
            break;
        }

        for (common = 0; common < len && common < child->len
                         && name[common] == child->label[common];
             common++)
        {
            /* void */
        }

        if (common < child->len
            && wd_http_trie_split(pool, child, common) != WD_OK)
        {
            return WD_ERROR;
        }

        node = child;
        name += common;
        len -= common;
    }

    if (clcf->exact_match) {
        if (node->exact) {
            return WD_DECLINED;
        }
        node->exact = clcf;

    } else {
        if (node->inclusive) {
            return WD_DECLINED;
        }
        node->inclusive = clcf;
    }

    return WD_OK;
}

wd_http_core_loc_conf_t *
wd_http_location_trie_find(wd_http_location_node_t *root, u_char *uri,
    size_t len, wd_uint_t *match)
{
    wd_http_core_loc_conf_t *best;
    wd_http_location_node_t *node;

    best = NULL;
    node = root;
    *match = WD_HTTP_LOCATION_PREFIX;

    for (;;) {
        if (len == 0) {
            if (node->exact) {
                *match = WD_HTTP_LOCATION_EXACT;
                return node->exact;
            }
            return node->inclusive ? node->inclusive : best;
        }

        if (node->inclusive) {
            best = node->inclusive;
        }

        node = wd_http_trie_child(node, uri[0]);

        if (node == NULL) {
            return best;
        }

        if (node->len > len || wd_memcmp(node->label, uri, node->len) != 0) {
            /* "/dir" for "location /dir/" that proxies: redirect */
            if (node->len == len + 1 && node->label[len] == '/'
                && wd_memcmp(node->label, uri, len) == 0 && node->inclusive
                && node->inclusive->auto_redirect)
            {
                *match = WD_HTTP_LOCATION_AUTO_REDIRECT;
                return node->inclusive;
            }

            return best;
        }

        uri += node->len;
        len -= node->len;
    }
}

static wd_int_t
wd_http_init_regex_locations(wd_conf_t *cf, wd_http_core_loc_conf_t *pclcf,
    wd_array_t *regexes)
{
    wd_http_core_loc_conf_t **clcfp;

    if (regexes->nelts == 0) {
        return WD_OK;
    }

    clcfp = wd_palloc(cf->pool, (regexes->nelts + 1) * sizeof(void *));

    if (clcfp == NULL) {
        return WD_ERROR;
    }

    wd_memcpy(clcfp, regexes->elts, regexes->nelts * sizeof(void *));
    clcfp[regexes->nelts] = NULL;
    pclcf->regex_locations = clcfp;

    return WD_OK;
}

static wd_int_t
wd_http_init_named_locations(wd_conf_t *cf, wd_http_core_srv_conf_t *cscf,
    wd_array_t *named)
{
    wd_http_core_loc_conf_t **clcfp;

    if (named->nelts == 0) {
        return WD_OK;
    }

    clcfp = wd_palloc(cf->pool, (named->nelts + 1) * sizeof(void *));

    if (clcfp == NULL) {
        return WD_ERROR;
    }

    wd_memcpy(clcfp, named->elts, named->nelts * sizeof(void *));
    clcfp[named->nelts] = NULL;
    cscf->named_locations = clcfp;

    return WD_OK;
}

/* Checks that a name is not given twice at one level. */
static wd_int_t
wd_http_check_duplicate(wd_conf_t *cf, wd_array_t *seen,
    wd_http_location_queue_t *lq, wd_http_core_loc_conf_t *clcf)
{
    wd_uint_t i;
    wd_http_core_loc_conf_t **other;

    other = seen->elts;

    for (i = 0; i < seen->nelts; i++) {
        if (other[i]->exact_match == clcf->exact_match
            && (other[i]->regex == NULL) == (clcf->regex == NULL)
            && other[i]->name.len == clcf->name.len
            && wd_memcmp(other[i]->name.data, clcf->name.data,
                         clcf->name.len) == 0)
        {
            wd_log_error(WD_LOG_EMERG, cf->log, 0,
                         "duplicate location \"%.*s\" in %s:%lu",
                         wd_str_fmt(&clcf->name), lq->file_name,
                         (unsigned long) lq->line);
            return WD_ERROR;
        }
    }

    other = wd_array_push(seen);

    if (other == NULL) {
        return WD_ERROR;
    }

    *other = clcf;

    return WD_OK;
}

/* Splits a level's locations by kind and recurses into nested ones. */
wd_int_t
wd_http_init_locations(wd_conf_t *cf, wd_http_core_srv_conf_t *cscf,
    wd_http_core_loc_conf_t *pclcf)
{
    wd_queue_t *q, *locations;
    wd_array_t regexes, named, seen;
    wd_http_core_loc_conf_t *clcf, **slot;
    wd_http_location_queue_t *lq;

    locations = pclcf->locations;

    if (locations == NULL) {
        return WD_OK;
    }

    if (wd_array_init(&regexes, cf->temp_pool, 4, sizeof(void *)) != WD_OK
        || wd_array_init(&named, cf->temp_pool, 4, sizeof(void *)) != WD_OK
        || wd_array_init(&seen, cf->temp_pool, 16, sizeof(void *)) != WD_OK)
    {
        return WD_ERROR;
    }

    for (q = wd_queue_head(locations); q != wd_queue_sentinel(locations);
         q = wd_queue_next(q))
    {
        lq = (wd_http_location_queue_t *) q;
        clcf = lq->exact ? lq->exact : lq->inclusive;

        if (wd_http_init_locations(cf, NULL, clcf) != WD_OK) {
            return WD_ERROR;
        }

        if (clcf->noname) {
            continue;
        }

        if (wd_http_check_duplicate(cf, &seen, lq, clcf) != WD_OK) {
            return WD_ERROR;
        }

        if (clcf->regex || clcf->named) {
            slot = wd_array_push(clcf->regex ? &regexes : &named);

            if (slot == NULL) {
                return WD_ERROR;
            }

            *slot = clcf;
        }
    }

    if (wd_http_init_regex_locations(cf, pclcf, &regexes) != WD_OK) {
        return WD_ERROR;
    }

    if (cscf && wd_http_init_named_locations(cf, cscf, &named) != WD_OK) {
        return WD_ERROR;
    }

    return WD_OK;
}

/* Builds the tries of a level and of every nested level. */
wd_int_t
wd_http_init_static_location_trees(wd_conf_t *cf,
    wd_http_core_loc_conf_t *pclcf)
{
    wd_queue_t *q, *locations;
    wd_http_core_loc_conf_t *clcf;
    wd_http_location_queue_t *lq;

    locations = pclcf->locations;

    if (locations == NULL) {
        return WD_OK;
    }

    for (q = wd_queue_head(locations); q != wd_queue_sentinel(locations);
         q = wd_queue_next(q))
    {
        lq = (wd_http_location_queue_t *) q;
        clcf = lq->exact ? lq->exact : lq->inclusive;

        if (wd_http_init_static_location_trees(cf, clcf) != WD_OK) {
            return WD_ERROR;
        }

        if (clcf->regex || clcf->named || clcf->noname) {
            continue;
        }

        if (pclcf->static_locations == NULL) {
            pclcf->static_locations = wd_http_trie_node(cf->pool, NULL, 0);

            if (pclcf->static_locations == NULL) {
                return WD_ERROR;
            }
        }

        if (wd_http_location_trie_insert(cf->pool, pclcf->static_locations,
                                         clcf) != WD_OK)
        {
            return WD_ERROR;
        }
    }

    return WD_OK;
}

/*
 * nginx's order: the longest prefix (or an exact match, which ends the
 * search) at this level, then that location's nested ones; unless the
 * match was exact or "^~", this level's regexes in order, the first
 * matching one winning (and its nested locations searched in turn).
 * Returns WD_OK (found, final), WD_AGAIN (a prefix match), WD_DECLINED
 * (nothing), WD_DONE (redirect "/dir" to "/dir/") or WD_ERROR.
 */
wd_int_t
wd_http_core_find_location(wd_http_request_t *r)
{
    wd_int_t rc, n;
    wd_uint_t match, noregex;
    wd_http_core_loc_conf_t *pclcf, *clcf, **clcfp;

    pclcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    rc = WD_DECLINED;
    noregex = 0;

    if (pclcf->static_locations) {
        clcf = wd_http_location_trie_find(pclcf->static_locations,
                                          r->uri.data, r->uri.len, &match);

        if (clcf) {
            r->loc_conf = clcf->loc_conf;

            if (match == WD_HTTP_LOCATION_EXACT) {
                return WD_OK;
            }

            if (match == WD_HTTP_LOCATION_AUTO_REDIRECT) {
                return WD_DONE;
            }

            noregex = clcf->noregex;
            rc = wd_http_core_find_location(r);

            if (rc == WD_OK || rc == WD_DONE || rc == WD_ERROR) {
                return rc;
            }

            rc = WD_AGAIN;
        }
    }

    if (noregex || pclcf->regex_locations == NULL) {
        return rc;
    }

    for (clcfp = pclcf->regex_locations; *clcfp; clcfp++) {
        n = wd_http_regex_exec(r, (*clcfp)->regex, &r->uri);

        if (n == WD_DECLINED) {
            continue;
        }

        if (n != WD_OK) {
            return WD_ERROR;
        }

        r->loc_conf = (*clcfp)->loc_conf;

        n = wd_http_core_find_location(r);

        return (n == WD_ERROR) ? WD_ERROR : WD_OK;
    }

    return rc;
}
