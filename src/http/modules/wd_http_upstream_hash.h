/*
 * The arithmetic of the "hash" balancer, kept apart from the module so
 * that it can be tested without a server.  Both methods agree with the
 * memcached clients that nginx's documentation names, and so with nginx
 * itself: the plain one with Cache::Memcached, "consistent" with the
 * ketama ring of Cache::Memcached::Fast (ketama_points 160).  A key maps
 * to the same server whichever of the two proxies is asked.
 */

#ifndef WD_HTTP_UPSTREAM_HASH_H
#define WD_HTTP_UPSTREAM_HASH_H

#include <wd_http.h>

/* points on the ring per unit of a server's weight */
#define WD_HTTP_UPSTREAM_CHASH_POINTS 160

typedef struct {
    uint32_t hash;
    wd_str_t *server;           /* the "server" line's name of the peer */
} wd_http_upstream_chash_point_t;

typedef struct {
    wd_uint_t number;
    wd_http_upstream_chash_point_t point[];    /* by hash, all distinct */
} wd_http_upstream_chash_points_t;

/* One step of the plain method: bits 16..30 of the CRC-32 of the key,
 * which from the second step on (rehash > 0) is preceded by rehash in
 * decimal.  The steps add up; their sum modulo the total weight is the
 * peer. */
uint32_t wd_http_upstream_hash_step(wd_uint_t rehash, wd_str_t *key);

/* The CRC-32 state after "HOST\0PORT" for a server name "HOST:PORT",
 * "HOST" (no port) or "unix:PATH" (PATH, no port): where each of the
 * server's points starts. */
uint32_t wd_http_upstream_chash_server(wd_str_t *server);

/* The ring of a list of peers: weight * 160 points per peer, point k at
 * crc32(HOST "\0" PORT PREV) where PREV is point k-1 as four bytes, least
 * significant first (zero for the first point); sorted, and of points
 * with the same hash only the earliest peer's kept.  NULL when out of
 * memory. */
wd_http_upstream_chash_points_t *wd_http_upstream_chash_build(
    wd_pool_t *pool, wd_http_upstream_rr_peers_t *peers);

/* The index of the first point whose hash is at least hash, or
 * points->number when there is none (the ring wraps: callers take the
 * index modulo points->number). */
wd_uint_t wd_http_upstream_chash_find(wd_http_upstream_chash_points_t *points,
    uint32_t hash);

#endif /* WD_HTTP_UPSTREAM_HASH_H */
