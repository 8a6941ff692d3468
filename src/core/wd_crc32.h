/*
 * CRC-32 as zlib, Ethernet and PNG compute it (the reflected polynomial
 * 0xedb88320, all ones in and out).  The hash and ketama balancers use it
 * because the memcached clients they must agree with do.
 */

#ifndef WD_CRC32_H
#define WD_CRC32_H

#include <wd_config.h>

extern const uint32_t wd_crc32_table[256];

/* A running CRC: wd_crc32_init(), wd_crc32_update() over any number of
 * pieces, then wd_crc32_final() for the value.  The state before
 * wd_crc32_final() may be copied and continued, which is how a common
 * prefix is hashed once. */
static inline uint32_t
wd_crc32_init(void)
{
    return 0xffffffff;
}

static inline uint32_t
wd_crc32_update(uint32_t crc, const u_char *p, size_t len)
{
    while (len--) {
        crc = wd_crc32_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    }

    return crc;
}

static inline uint32_t
wd_crc32_final(uint32_t crc)
{
    return crc ^ 0xffffffff;
}

/* The CRC-32 of len bytes at p: crc32("123456789") is 0xcbf43926. */
static inline uint32_t
wd_crc32(const u_char *p, size_t len)
{
    return wd_crc32_final(wd_crc32_update(wd_crc32_init(), p, len));
}

#endif /* WD_CRC32_H */
