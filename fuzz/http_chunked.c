/*
 * libFuzzer harness for the chunked transfer coding parser
 * (wd_http_parse_chunked()).
 *
 * The input is a chunked body.  It is decoded three ways: whole, a byte at
 * a time, and in pieces whose sizes come from the input's first byte; the
 * bytes not yet "received" are poisoned, so a read past b->last is an ASan
 * report.  The runs must agree on the result, where it stopped, the
 * decoded data and the trailers kept, and ctx->length must never promise
 * more than really followed.  Nothing is allocated but with malloc() (the
 * pool for the trailers too), all freed.
 */

#include <wd_core.h>
#include <wd_http.h>

#include <sanitizer/asan_interface.h>


#define WD_FUZZ_MAX_INPUT (64 * 1024)

#define wd_fuzz_assert(cond)                                                   \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__,         \
                __LINE__, #cond);                                              \
            abort();                                                           \
        }                                                                      \
    } while (0)


typedef struct {
    wd_int_t rc;
    size_t consumed;
    size_t decoded;
    uint64_t hash;              /* of the decoded data */
    uint64_t trailers;          /* hash of the trailers kept */
    off_t reach;                /* the furthest position ctx->length
                                 * promised the body reaches */
} wd_fuzz_result_t;


static uint64_t
wd_fuzz_hash(uint64_t hash, u_char *p, size_t n)
{
    for ( /* void */ ; n; n--) {
        hash = (hash ^ *p++) * 0x100000001b3ULL;
    }

    return hash;
}


static void
wd_fuzz_feed(u_char **last, u_char *end, size_t n)
{
    n = wd_min(n, (size_t) (end - *last));
    ASAN_UNPOISON_MEMORY_REGION(*last, n);
    *last += n;
}


/* Decodes buf, "receiving" step bytes at a time (0: all at once). */
static void
wd_fuzz_decode(u_char *buf, size_t size, size_t step, wd_fuzz_result_t *res)
{
    size_t n;
    wd_buf_t b;
    wd_int_t rc;
    wd_http_chunked_t ctx;
    wd_http_request_t r;

    memset(res, 0, sizeof(wd_fuzz_result_t));
    memset(&b, 0, sizeof(b));
    memset(&ctx, 0, sizeof(ctx));
    memset(&r, 0, sizeof(r));
    res->hash = 0xcbf29ce484222325ULL;

    /* smaller than the trailers' buffer: that one is a malloc() of its own */
    ctx.trailer_pool = wd_create_pool(1024, NULL);
    wd_fuzz_assert(ctx.trailer_pool != NULL);

    ASAN_POISON_MEMORY_REGION(buf, size);
    b.start = b.pos = b.last = buf;
    wd_fuzz_feed(&b.last, buf + size, step ? step : size);

    for (;;) {
        rc = wd_http_parse_chunked(&r, &b, &ctx);

        if (rc == WD_OK || rc == WD_AGAIN) {
            wd_fuzz_assert(ctx.length >= 0);
            /* (the length saturates at the maximum: no overflow here
                 * as long as inputs are far smaller) */
            if (ctx.length < WD_MAX_OFF_T_VALUE - WD_FUZZ_MAX_INPUT) {
                res->reach = wd_max(res->reach,
                    (off_t) (b.pos - buf) + ctx.length);
            } else {
                res->reach = WD_MAX_OFF_T_VALUE;
            }
        }

        if (rc == WD_OK) {
            wd_fuzz_assert(ctx.size > 0 && b.pos < b.last);
            n = wd_min((size_t) ctx.size, (size_t) (b.last - b.pos));
            ctx.size -= n;
            res->decoded += n;
            res->hash = wd_fuzz_hash(res->hash, b.pos, n);
            b.pos += n;
            continue;
        }

        if (rc == WD_AGAIN) {
            wd_fuzz_assert(b.pos == b.last);

            if (b.last < buf + size) {
                wd_fuzz_feed(&b.last, buf + size, step ? step : size);
                continue;
            }
        }

        break;
    }

    res->rc = rc;
    res->consumed = b.pos - buf;

    wd_fuzz_assert(ctx.trailers.len <= WD_HTTP_CHUNK_TRAILER_MAX);

    if (rc == WD_DONE) {
        res->trailers = wd_fuzz_hash(0xcbf29ce484222325ULL, ctx.trailers.data,
                                     ctx.trailers.len);
    }

    wd_destroy_pool(ctx.trailer_pool);
    wd_fuzz_assert(rc == WD_DONE || rc == WD_ERROR || rc == WD_AGAIN);
    wd_fuzz_assert(rc != WD_AGAIN || res->consumed == size);
    ASAN_UNPOISON_MEMORY_REGION(buf, size);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char *buf;
    size_t step;
    wd_fuzz_result_t whole, bytes, pieces;

    if (size > WD_FUZZ_MAX_INPUT) {
        return 0;
    }

    buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    step = size ? data[0] % 7 + 2 : 2;

    wd_fuzz_decode(buf, size, 0, &whole);
    wd_fuzz_decode(buf, size, 1, &bytes);
    wd_fuzz_decode(buf, size, step, &pieces);

    /* ctx->length is a lower bound: never past where the body ended */
    wd_fuzz_assert(whole.rc != WD_DONE || whole.reach <= (off_t) whole.consumed);
    wd_fuzz_assert(bytes.rc != WD_DONE || bytes.reach <= (off_t) bytes.consumed);
    wd_fuzz_assert(pieces.rc != WD_DONE
                   || pieces.reach <= (off_t) pieces.consumed);

    whole.reach = bytes.reach = pieces.reach = 0;
    wd_fuzz_assert(memcmp(&whole, &bytes, sizeof(whole)) == 0);
    wd_fuzz_assert(memcmp(&whole, &pieces, sizeof(whole)) == 0);

    free(buf);
    return 0;
}
