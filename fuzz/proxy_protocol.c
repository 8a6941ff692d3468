/*
 * libFuzzer harness for the PROXY protocol header parser
 * (wd_proxy_protocol_parse()), its TLV lookup, and the forwarded-address
 * lists realip reads (wd_inet_forwarded_addr()).
 *
 * The input is what a client sends first on a "listen ... proxy_protocol"
 * connection.  It is parsed whole, then "received" a byte at a time with
 * the bytes not yet received ASan-poisoned, the way the HTTP reader feeds
 * the parser; both must reach the same verdict, and a verdict once
 * reached must not change as more bytes arrive.  A header with addresses
 * is copied and every TLV name is looked up.  The input is also read as
 * an X-Forwarded-For value from a trusted address.  Nothing is logged.
 */

#include <wd_core.h>

#include <sanitizer/asan_interface.h>


#define wd_fuzz_assert(cond)                                                   \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__,         \
                __LINE__, #cond);                                              \
            abort();                                                           \
        }                                                                      \
    } while (0)


static wd_log_t wd_fuzz_log;    /* level 0: every line is dropped */

static const char *wd_fuzz_tlv_names[] = {
    "alpn", "authority", "unique_id", "ssl", "netns", "0x01", "0xea", "0x",
    "0xzz", "0x1ff", "ssl_version", "ssl_cn", "ssl_cipher", "ssl_sig_alg",
    "ssl_key_alg", "ssl_verify", "ssl_0x21", "ssl_", "bogus", NULL
};


/* Whole and incremental results must agree field by field. */
static void
wd_fuzz_same(wd_int_t rc1, wd_proxy_protocol_header_t *h1, wd_int_t rc2,
    wd_proxy_protocol_header_t *h2)
{
    wd_fuzz_assert(rc1 == rc2);
    wd_fuzz_assert(h1->version == h2->version);

    if (rc1 == WD_ERROR) {
        wd_fuzz_assert(h1->error == h2->error);
        wd_fuzz_assert(h1->bad_version == h2->bad_version);
        return;
    }

    wd_fuzz_assert(h1->size == h2->size);
    wd_fuzz_assert(h1->has_addrs == h2->has_addrs);

    if (rc1 == WD_OK && h1->has_addrs) {
        wd_fuzz_assert(h1->pp.src_port == h2->pp.src_port);
        wd_fuzz_assert(h1->pp.dst_port == h2->pp.dst_port);
        wd_fuzz_assert(h1->pp.src_addr.len == h2->pp.src_addr.len);
        wd_fuzz_assert(memcmp(h1->pp.src_addr.data, h2->pp.src_addr.data,
                              h1->pp.src_addr.len) == 0);
        wd_fuzz_assert(h1->pp.dst_addr.len == h2->pp.dst_addr.len);
        wd_fuzz_assert(h1->pp.tlvs.len == h2->pp.tlvs.len);
    }
}


static void
wd_fuzz_check(wd_int_t rc, wd_proxy_protocol_header_t *h, size_t len)
{
    wd_fuzz_assert(rc == WD_OK || rc == WD_AGAIN || rc == WD_ERROR);

    if (rc == WD_ERROR) {
        wd_fuzz_assert(h->error >= WD_PROXY_PROTOCOL_BROKEN
                       && h->error <= WD_PROXY_PROTOCOL_SHORT);
        return;
    }

    if (rc == WD_AGAIN) {
        wd_fuzz_assert(h->size == 0 || h->size > len);
        wd_fuzz_assert(len < WD_PROXY_PROTOCOL_MAX_HEADER);
        return;
    }

    wd_fuzz_assert(h->size > 0 && h->size <= len);
    wd_fuzz_assert(h->version != 1
                   || h->size <= WD_PROXY_PROTOCOL_V1_MAX_HEADER);
    wd_fuzz_assert(h->size <= WD_PROXY_PROTOCOL_MAX_HEADER);

    if (h->has_addrs) {
        wd_fuzz_assert(h->pp.src_addr.len > 0
                       && h->pp.src_addr.len <= WD_INET6_ADDRSTRLEN);
        wd_fuzz_assert(h->pp.dst_addr.len > 0
                       && h->pp.dst_addr.len <= WD_INET6_ADDRSTRLEN);
    }
}


static void
wd_fuzz_tlvs(wd_pool_t *pool, wd_proxy_protocol_header_t *h)
{
    wd_uint_t i;
    wd_str_t name, value;
    wd_proxy_protocol_t *pp;

    pp = wd_proxy_protocol_dup(pool, &h->pp);
    wd_fuzz_assert(pp != NULL);

    for (i = 0; wd_fuzz_tlv_names[i]; i++) {
        name.data = (u_char *) wd_fuzz_tlv_names[i];
        name.len = strlen(wd_fuzz_tlv_names[i]);

        if (wd_proxy_protocol_get_tlv(pp, &name, &value, pool, &wd_fuzz_log)
            == WD_OK)
        {
            /* the value lies within the TLVs (or is ssl_verify's text) */
            wd_fuzz_assert(wd_str_eq(&name, "ssl_verify")
                           || (value.data >= pp->tlvs.data
                               && value.data + value.len
                                      <= pp->tlvs.data + pp->tlvs.len));
        }
    }
}


static void
wd_fuzz_forwarded(wd_pool_t *pool, u_char *buf, size_t size)
{
    wd_uint_t recursive;
    wd_addr_t addr;
    wd_cidr_t *cidr;
    wd_array_t *all;
    struct sockaddr_in sin;
    wd_str_t any4 = wd_string("0.0.0.0/0"), any6 = wd_string("::/0");

    all = wd_array_create(pool, 2, sizeof(wd_cidr_t));
    wd_fuzz_assert(all != NULL);
    cidr = wd_array_push(all);
    wd_fuzz_assert(cidr != NULL && wd_ptocidr(&any4, cidr) == WD_OK);
    cidr = wd_array_push(all);
    wd_fuzz_assert(cidr != NULL && wd_ptocidr(&any6, cidr) == WD_OK);

    for (recursive = 0; recursive < 2; recursive++) {
        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        addr.sockaddr = (struct sockaddr *) &sin;
        addr.socklen = sizeof(sin);

        switch (wd_inet_forwarded_addr(pool, &addr, buf, size, all,
                                       recursive))
        {
        case WD_OK:
        case WD_DONE:
            wd_fuzz_assert(addr.sockaddr != (struct sockaddr *) &sin);
            break;
        case WD_DECLINED:
            wd_fuzz_assert(addr.sockaddr == (struct sockaddr *) &sin);
            break;
        default:
            wd_fuzz_assert(0);
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char *buf, text[4 * WD_PROXY_PROTOCOL_LOG_TEXT];
    size_t n;
    wd_int_t whole, step;
    wd_pool_t *pool;
    wd_proxy_protocol_header_t h1, h2;

    if (size > WD_PROXY_PROTOCOL_MAX_HEADER + 16) {
        return 0;
    }

    buf = malloc(size ? size : 1);
    wd_fuzz_assert(buf != NULL);
    memcpy(buf, data, size);

    whole = wd_proxy_protocol_parse(&h1, buf, size);
    wd_fuzz_check(whole, &h1, size);

    /* a byte at a time, until a verdict */
    ASAN_POISON_MEMORY_REGION(buf, size);
    step = WD_AGAIN;

    for (n = 0; n <= size; n++) {
        if (n) {
            ASAN_UNPOISON_MEMORY_REGION(buf + n - 1, 1);
        }

        step = wd_proxy_protocol_parse(&h2, buf, n);
        wd_fuzz_check(step, &h2, n);

        if (step != WD_AGAIN) {
            break;
        }
    }

    ASAN_UNPOISON_MEMORY_REGION(buf, size);

    /* the first verdict stands, whatever follows it */
    wd_fuzz_same(whole, &h1, step, &h2);

    pool = wd_create_pool(WD_DEFAULT_POOL_SIZE, &wd_fuzz_log);
    wd_fuzz_assert(pool != NULL);

    if (whole == WD_OK && h1.has_addrs) {
        wd_fuzz_tlvs(pool, &h1);
    }

    n = wd_proxy_protocol_log_text(text, buf, size);
    wd_fuzz_assert(n <= sizeof(text));

    wd_fuzz_forwarded(pool, buf, size);

    wd_destroy_pool(pool);
    free(buf);

    return 0;
}
