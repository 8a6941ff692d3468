/*
 * libFuzzer harness for the HTTP/1.x request parsers (wd_http_parse.c).
 *
 * The input is parsed as a request line and header lines, then the target
 * is normalized (wd_http_parse_complex_uri(), both merge_slashes modes)
 * when the parser flagged it, and given to the URI helpers; the input is
 * also parsed as an upstream status line.  Every incremental parse runs
 * twice: over the whole input, and a byte at a time in the same buffer
 * with the bytes not yet "received" poisoned, so that a read past b->last
 * is an ASan report; the two runs must report the same thing.  Results
 * are also checked against invariants (pointers in order, a normalized
 * path has no dot segment, ...).  Nothing is allocated but with malloc()
 * and it is all freed: the harness must be leak-free.
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


/* What a run reports, folded into a hash (FNV-1a) to compare runs. */
typedef struct {
    u_char *buf;
    u_char *end;
    wd_buf_t b;
    int bytewise;
    uint64_t hash;
} wd_fuzz_run_t;


static void
wd_fuzz_mix(wd_fuzz_run_t *run, uint64_t v)
{
    int i;

    for (i = 0; i < 8; i++) {
        run->hash ^= (v >> (i * 8)) & 0xff;
        run->hash *= 0x100000001b3ULL;
    }
}


static void
wd_fuzz_mix_ptr(wd_fuzz_run_t *run, u_char *p)
{
    wd_fuzz_mix(run, p ? (uint64_t) (p - run->buf) : (uint64_t) -1);
}


/* Bytewise: makes one more byte "received"; 0 when there is none. */
static int
wd_fuzz_more(wd_fuzz_run_t *run)
{
    if (!run->bytewise || run->b.last == run->end) {
        return 0;
    }

    ASAN_UNPOISON_MEMORY_REGION(run->b.last, 1);
    run->b.last++;
    return 1;
}


static void
wd_fuzz_check_request_line(wd_fuzz_run_t *run, wd_http_request_t *r)
{
    wd_fuzz_assert(r->request_start < r->method_end);
    wd_fuzz_assert(r->method_end < r->uri_start);
    wd_fuzz_assert(r->uri_start <= r->uri_end);
    wd_fuzz_assert(r->uri_end <= r->request_end);
    wd_fuzz_assert(r->request_end < run->b.pos);
    wd_fuzz_assert(r->method != 0);
    wd_fuzz_assert(r->args_start == NULL
                   || (r->args_start > r->uri_start
                       && r->args_start <= r->uri_end));
    wd_fuzz_assert(r->http_version == WD_HTTP_VERSION_9
                   || (r->http_version >= 1000 && r->http_version <= 1009));
    wd_fuzz_assert(r->host_start == NULL || r->host_start < r->host_end);
}


static void
wd_fuzz_mix_request_line(wd_fuzz_run_t *run, wd_http_request_t *r)
{
    wd_fuzz_mix_ptr(run, r->request_start);
    wd_fuzz_mix_ptr(run, r->method_end);
    wd_fuzz_mix_ptr(run, r->uri_start);
    wd_fuzz_mix_ptr(run, r->uri_end);
    wd_fuzz_mix_ptr(run, r->uri_ext);
    wd_fuzz_mix_ptr(run, r->args_start);
    wd_fuzz_mix_ptr(run, r->request_end);
    wd_fuzz_mix_ptr(run, r->schema_start);
    wd_fuzz_mix_ptr(run, r->schema_end);
    wd_fuzz_mix_ptr(run, r->host_start);
    wd_fuzz_mix_ptr(run, r->host_end);
    wd_fuzz_mix_ptr(run, r->port_start);
    wd_fuzz_mix_ptr(run, r->port_end);
    wd_fuzz_mix_ptr(run, r->http_protocol.data);
    wd_fuzz_mix(run, r->method);
    wd_fuzz_mix(run, r->http_version);
    wd_fuzz_mix(run, r->complex_uri | r->quoted_uri << 1
                         | r->plus_in_uri << 2 | r->empty_path_in_uri << 3);
}


static wd_int_t
wd_fuzz_request_line(wd_fuzz_run_t *run, wd_http_request_t *r)
{
    wd_int_t rc;

    do {
        rc = wd_http_parse_request_line(r, &run->b);
        wd_fuzz_assert(rc != WD_AGAIN || run->b.pos == run->b.last);
    } while (rc == WD_AGAIN && wd_fuzz_more(run));

    wd_fuzz_assert(rc == WD_AGAIN || r->state == 0);
    wd_fuzz_mix(run, (uint64_t) rc);
    wd_fuzz_mix_ptr(run, run->b.pos);

    if (rc == WD_OK) {
        wd_fuzz_check_request_line(run, r);
    }

    if (rc == WD_OK || rc == WD_HTTP_PARSE_INVALID_VERSION
        || rc == WD_HTTP_PARSE_INVALID_09_METHOD)
    {
        wd_fuzz_mix_request_line(run, r);
    }

    return rc;
}


static void
wd_fuzz_check_header(wd_http_request_t *r)
{
    size_t len;

    len = r->header_name_end - r->header_name_start;

    wd_fuzz_assert(r->header_name_start < r->header_name_end);
    wd_fuzz_assert(r->header_name_end < r->header_start);
    wd_fuzz_assert(r->header_start <= r->header_end);
    wd_fuzz_assert(r->lowcase_index == wd_min(len, WD_HTTP_LC_HEADER_LEN));
    wd_fuzz_assert(r->header_hash == wd_hash_key_lc(r->header_name_start,
                                         len));
    wd_fuzz_assert(memchr(r->header_name_start, ':', len) == NULL);
    wd_fuzz_assert(r->header_start == r->header_end
                   || (*r->header_start != ' ' && *r->header_start != '\t'
                       && r->header_end[-1] != ' '
                       && r->header_end[-1] != '\t'));
}


/* Header lines up to the empty line or an error; each value is also
 * searched as a list for "close". */
static void
wd_fuzz_headers(wd_fuzz_run_t *run, wd_http_request_t *r, wd_uint_t us)
{
    wd_int_t rc;
    wd_str_t name, value;
    wd_table_elt_t h;

    wd_str_set(&name, "close");

    for (;;) {
        rc = wd_http_parse_header_line(r, &run->b, us);

        if (rc == WD_AGAIN) {
            wd_fuzz_assert(run->b.pos == run->b.last);

            if (wd_fuzz_more(run)) {
                continue;
            }
        }

        wd_fuzz_mix(run, (uint64_t) rc);
        wd_fuzz_mix_ptr(run, run->b.pos);

        if (rc != WD_OK) {
            return;
        }

        wd_fuzz_assert(r->state == 0);
        wd_fuzz_check_header(r);
        wd_fuzz_mix_ptr(run, r->header_name_start);
        wd_fuzz_mix_ptr(run, r->header_start);
        wd_fuzz_mix_ptr(run, r->header_end);
        wd_fuzz_mix(run, r->header_hash);
        wd_fuzz_mix(run, r->invalid_header);

        memset(&h, 0, sizeof(h));
        h.value.data = r->header_start;
        h.value.len = r->header_end - r->header_start;
        wd_fuzz_mix(run,
            wd_http_parse_multi_header_lines(r, &h, &name, NULL) != NULL);
        wd_fuzz_mix(run,
            wd_http_parse_multi_header_lines(r, &h, &name, &value) != NULL);
    }
}


/* A normalized path: starts with '/', no NUL, no "." or ".." segment,
 * no "//" when merged. */
static void
wd_fuzz_check_path(u_char *u, size_t len, wd_uint_t merge)
{
    size_t i, s;

    wd_fuzz_assert(len > 0 && u[0] == '/');
    wd_fuzz_assert(memchr(u, '\0', len) == NULL);

    for (i = 0; i < len; i = s) {
        for (s = i + 1; s < len && u[s] != '/'; s++) {
            /* void */
        }

        wd_fuzz_assert(!(s - i == 2 && u[i + 1] == '.'));
        wd_fuzz_assert(!(s - i == 3 && u[i + 1] == '.' && u[i + 2] == '.'));
        wd_fuzz_assert(!(merge && s - i == 1 && s < len));
    }
}


static void
wd_fuzz_complex_uri(wd_fuzz_run_t *run, wd_http_request_t *r)
{
    size_t size;
    wd_int_t rc;
    wd_uint_t merge;

    size = r->uri_end - r->uri_start + r->empty_path_in_uri;

    if (size == 0) {
        return;
    }

    for (merge = 0; merge < 2; merge++) {
        r->uri.data = malloc(size);
        r->uri.len = 0;
        r->args.data = NULL;
        r->args.len = 0;

        rc = wd_http_parse_complex_uri(r, merge);
        wd_fuzz_mix(run, (uint64_t) rc);

        if (rc == WD_OK) {
            wd_fuzz_assert(r->uri.len <= size);
            wd_fuzz_check_path(r->uri.data, r->uri.len, merge);
            wd_fuzz_assert(r->uri_ext == NULL
                           || (r->uri_ext > r->uri.data
                               && r->uri_ext <= r->uri.data + r->uri.len));
            wd_fuzz_mix(run, r->uri.len);
            wd_fuzz_mix(run, wd_hash_key(r->uri.data, r->uri.len));
        }

        free(r->uri.data);
        r->uri.data = NULL;
    }
}


/* The helpers on the target as given (no state, so run once). */
static void
wd_fuzz_uri_helpers(wd_http_request_t *r)
{
    wd_str_t uri, args, value;
    wd_uint_t flags;

    uri.data = r->uri_start;
    uri.len = r->uri_end - r->uri_start;
    args.data = NULL;
    args.len = 0;
    flags = 0;

    if (wd_http_parse_unsafe_uri(r, &uri, &args, &flags) == WD_OK) {
        wd_fuzz_assert(uri.len > 0 && memchr(uri.data, '\0', uri.len) == NULL);
        wd_fuzz_assert(uri.data + uri.len <= r->uri_end);
    }

    uri.data = r->uri_start;
    uri.len = r->uri_end - r->uri_start;
    wd_http_split_args(r, &uri, &args);
    wd_fuzz_assert(uri.data + uri.len <= r->uri_end);

    r->args = args;

    if (wd_http_arg(r, (u_char *) "a", 1, &value) == WD_OK) {
        wd_fuzz_assert(value.data >= args.data
                       && value.data + value.len <= args.data + args.len);
    }
}


static void
wd_fuzz_status_line(wd_fuzz_run_t *run, wd_http_request_t *r)
{
    wd_int_t rc;
    wd_http_status_t st;

    memset(&st, 0, sizeof(st));

    do {
        rc = wd_http_parse_status_line(r, &run->b, &st);
    } while (rc == WD_AGAIN && wd_fuzz_more(run));

    wd_fuzz_mix(run, (uint64_t) rc);
    wd_fuzz_mix_ptr(run, run->b.pos);

    if (rc == WD_OK) {
        wd_fuzz_assert(st.code >= 100 && st.code <= 999);
        wd_fuzz_assert(st.start == run->buf && st.end < run->b.pos);
        wd_fuzz_assert(st.start + 12 + st.count <= st.end);
        wd_fuzz_mix(run, st.code);
        wd_fuzz_mix(run, st.count);
        wd_fuzz_mix(run, st.http_version);
        wd_fuzz_headers(run, r, 1);
    }
}


/* One run over a copy of data; returns what it saw as a hash. */
static uint64_t
wd_fuzz_run(const uint8_t *data, size_t size, int bytewise, int status)
{
    wd_int_t rc;
    wd_fuzz_run_t run;
    wd_http_request_t *r;

    memset(&run, 0, sizeof(run));
    run.buf = malloc(size ? size : 1);
    memcpy(run.buf, data, size);
    run.end = run.buf + size;
    run.bytewise = bytewise;
    run.hash = 0xcbf29ce484222325ULL;
    run.b.start = run.b.pos = run.buf;
    run.b.last = bytewise ? run.buf : run.end;

    if (bytewise) {
        ASAN_POISON_MEMORY_REGION(run.buf, size);
    }

    r = calloc(1, sizeof(wd_http_request_t));

    if (status) {
        wd_fuzz_status_line(&run, r);

    } else {
        rc = wd_fuzz_request_line(&run, r);

        if (rc == WD_OK) {
            /* the last byte of the input chooses underscores_in_headers */
            wd_fuzz_headers(&run, r, size ? data[size - 1] & 1 : 0);

            if (r->complex_uri || r->quoted_uri || r->empty_path_in_uri) {
                wd_fuzz_complex_uri(&run, r);
            }

            wd_fuzz_uri_helpers(r);
        }
    }

    ASAN_UNPOISON_MEMORY_REGION(run.buf, size);
    free(r);
    free(run.buf);
    return run.hash;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int status;

    if (size > WD_FUZZ_MAX_INPUT) {
        return 0;
    }

    for (status = 0; status < 2; status++) {
        if (wd_fuzz_run(data, size, 0, status)
            != wd_fuzz_run(data, size, 1, status))
        {
            fprintf(stderr, "whole and bytewise runs differ\n");
            abort();
        }
    }

    return 0;
}
