/*
 * Unit tests of src/core/wd_palloc.c: small and large allocations,
 * alignment, wd_pfree, cleanup handlers, reset, and many blocks.
 */

#include "../wd_unit.h"

static wd_pool_t *pool;

static void
setup(void)
{
    pool = wd_create_pool(1024, wd_unit_quiet_log());
    ck_assert_ptr_nonnull(pool);
}

static void
teardown(void)
{
    if (pool) {
        wd_destroy_pool(pool);
        pool = NULL;
    }
}

static wd_uint_t
n_large(void)
{
    wd_uint_t n;
    wd_pool_large_t *l;

    for (n = 0, l = pool->large; l; l = l->next) {
        n += (l->alloc != NULL);
    }

    return n;
}

START_TEST(test_create_sizes)
{
    wd_pool_t *p;

    ck_assert_uint_eq(pool->max, 1024 - sizeof(wd_pool_t));
    ck_assert_uint_eq((uintptr_t) pool % WD_POOL_ALIGNMENT, 0);

    /* too small a size is raised to the minimum */
    p = wd_create_pool(16, wd_unit_quiet_log());
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(p->max, WD_MIN_POOL_SIZE - sizeof(wd_pool_t));
    wd_destroy_pool(p);

    /* a big pool still serves at most WD_MAX_ALLOC_FROM_POOL from blocks */
    p = wd_create_pool(64 * 1024, wd_unit_quiet_log());
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(p->max, WD_MAX_ALLOC_FROM_POOL);
    wd_destroy_pool(p);
}
END_TEST

START_TEST(test_small_allocations)
{
    u_char *a, *b, *c;
    wd_uint_t i;

    a = wd_palloc(pool, 10);
    b = wd_palloc(pool, 10);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq((uintptr_t) a % WD_ALIGNMENT, 0);
    ck_assert_uint_eq((uintptr_t) b % WD_ALIGNMENT, 0);
    ck_assert_uint_ge((uintptr_t) b, (uintptr_t) a + 10);

    /* unaligned allocations are packed byte by byte */
    a = wd_pnalloc(pool, 1);
    b = wd_pnalloc(pool, 3);
    c = wd_pnalloc(pool, 1);
    ck_assert_ptr_eq(b, a + 1);
    ck_assert_ptr_eq(c, b + 3);

    /* and an aligned one after them is aligned again */
    a = wd_palloc(pool, 1);
    ck_assert_uint_eq((uintptr_t) a % WD_ALIGNMENT, 0);

    a = wd_pcalloc(pool, 200);
    ck_assert_ptr_nonnull(a);

    for (i = 0; i < 200; i++) {
        ck_assert_uint_eq(a[i], 0);
    }

    /* a zero-byte allocation is a valid pointer */
    ck_assert_ptr_nonnull(wd_palloc(pool, 0));
    ck_assert_uint_eq(n_large(), 0);
}
END_TEST

START_TEST(test_large_allocations)
{
    u_char *small, *big, *big2;
    wd_pool_large_t *first;

    /* up to max comes from blocks, one more byte is a large one */
    small = wd_palloc(pool, pool->max);
    ck_assert_ptr_nonnull(small);
    memset(small, 0x5a, pool->max);
    ck_assert_uint_eq(n_large(), 0);

    big = wd_palloc(pool, pool->max + 1);
    ck_assert_ptr_nonnull(big);
    memset(big, 0xa5, pool->max + 1);
    ck_assert_uint_eq(n_large(), 1);
    ck_assert_uint_eq((uintptr_t) big % WD_ALIGNMENT, 0);

    big2 = wd_pnalloc(pool, 100000);
    ck_assert_ptr_nonnull(big2);
    memset(big2, 1, 100000);
    ck_assert_uint_eq(n_large(), 2);

    /* a small pointer is not freed; a large one is, once */
    ck_assert_int_eq(wd_pfree(pool, small), WD_DECLINED);
    ck_assert_int_eq(wd_pfree(pool, big), WD_OK);
    ck_assert_int_eq(wd_pfree(pool, big), WD_DECLINED);
    ck_assert_uint_eq(n_large(), 1);

    /* the freed slot is reused rather than a new record allocated */
    first = pool->large;
    big = wd_palloc(pool, 5000);
    ck_assert_ptr_nonnull(big);
    ck_assert_ptr_eq(pool->large, first);
    ck_assert_uint_eq(n_large(), 2);

    ck_assert_int_eq(wd_pfree(pool, big2), WD_OK);
    ck_assert_int_eq(wd_pfree(pool, big), WD_OK);
    ck_assert_uint_eq(n_large(), 0);
}
END_TEST

START_TEST(test_memalign)
{
    u_char *p;
    size_t align;

    for (align = 16; align <= 65536; align <<= 1) {
        p = wd_pmemalign(pool, 100, align);
        ck_assert_ptr_nonnull(p);
        ck_assert_uint_eq((uintptr_t) p % align, 0);
        memset(p, 0, 100);
    }

    ck_assert_uint_eq(n_large(), 13);

    p = wd_pmemalign(pool, 3000, 4096);
    ck_assert_int_eq(wd_pfree(pool, p), WD_OK);
}
END_TEST

static int calls[8];
static int ncalls;

static void
on_cleanup(void *data)
{
    int *id = data;

    calls[ncalls++] = *id;
}

START_TEST(test_cleanups_at_destroy)
{
    wd_pool_cleanup_t *c;
    int i;

    ncalls = 0;

    for (i = 1; i <= 3; i++) {
        c = wd_pool_cleanup_add(pool, sizeof(int));
        ck_assert_ptr_nonnull(c);
        ck_assert_ptr_null(c->handler);
        *(int *) c->data = i;
        c->handler = on_cleanup;
    }

    /* a cleanup without data, and one left without a handler */
    c = wd_pool_cleanup_add(pool, 0);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_null(c->data);

    ck_assert_int_eq(ncalls, 0);
    wd_destroy_pool(pool);
    pool = NULL;

    /* the last one added runs first, as in nginx */
    ck_assert_int_eq(ncalls, 3);
    ck_assert_int_eq(calls[0], 3);
    ck_assert_int_eq(calls[1], 2);
    ck_assert_int_eq(calls[2], 1);
}
END_TEST

START_TEST(test_cleanup_files)
{
    wd_pool_cleanup_t *c;
    wd_pool_cleanup_file_t *cf;
    char path[] = "/tmp/wd-unit-palloc.XXXXXX";
    int fd, keep;

    fd = mkstemp(path);
    ck_assert_int_ne(fd, -1);

    c = wd_pool_cleanup_add(pool, sizeof(wd_pool_cleanup_file_t));
    ck_assert_ptr_nonnull(c);
    cf = c->data;
    cf->fd = fd;
    cf->name = (u_char *) path;
    cf->log = pool->log;
    c->handler = wd_pool_delete_file;

    /* another fd, closed early by wd_pool_run_cleanup_file */
    keep = dup(fd);
    c = wd_pool_cleanup_add(pool, sizeof(wd_pool_cleanup_file_t));
    cf = c->data;
    cf->fd = keep;
    cf->name = (u_char *) "dup";
    cf->log = pool->log;
    c->handler = wd_pool_cleanup_file;

    wd_pool_run_cleanup_file(pool, keep);
    ck_assert_int_eq(fcntl(keep, F_GETFD), -1);
    ck_assert_ptr_null(c->handler);
    ck_assert_int_ne(fcntl(fd, F_GETFD), -1);

    wd_destroy_pool(pool);
    pool = NULL;

    ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
    ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

START_TEST(test_reset)
{
    u_char *a, *b, *big;
    wd_uint_t i;

    a = wd_palloc(pool, 100);

    /* fill a few blocks and add large allocations */
    for (i = 0; i < 50; i++) {
        ck_assert_ptr_nonnull(wd_palloc(pool, 500));
    }

    big = wd_palloc(pool, 50000);
    ck_assert_ptr_nonnull(big);
    ck_assert_ptr_nonnull(pool->block.next);

    wd_reset_pool(pool);

    /* the large ones are gone (LeakSanitizer checks they were freed) and
     * the first block serves again from its start */
    ck_assert_ptr_null(pool->large);
    ck_assert_ptr_eq(pool->current, &pool->block);
    b = wd_palloc(pool, 100);
    ck_assert_ptr_eq(b, a);

    /* the blocks are kept and used again */
    for (i = 0; i < 50; i++) {
        memset(wd_palloc(pool, 500), 0, 500);
    }
}
END_TEST

START_TEST(test_reset_with_cleanups)
{
    wd_pool_cleanup_t *c;
    wd_uint_t i;
    u_char *p;
    static int id = 7;

    /* bug: reset rewound the memory that held the cleanup records but
     * kept the list, so destroy walked whatever was allocated there
     * since.  Now reset runs the handlers, as destroy would, and drops
     * the list. */
    ncalls = 0;
    c = wd_pool_cleanup_add(pool, 0);
    ck_assert_ptr_nonnull(c);
    c->handler = on_cleanup;
    c->data = &id;

    wd_reset_pool(pool);
    ck_assert_int_eq(ncalls, 1);
    ck_assert_int_eq(calls[0], 7);
    ck_assert_ptr_null(pool->cleanup);

    for (i = 0; i < 20; i++) {
        p = wd_palloc(pool, 256);
        memset(p, 0xaa, 256);
    }

    wd_destroy_pool(pool);
    pool = NULL;
    ck_assert_int_eq(ncalls, 1);
}
END_TEST

typedef struct {
    u_char *p;
    size_t size;
} chunk_t;

START_TEST(test_many_blocks)
{
    static chunk_t chunks[20000];
    wd_uint_t i, j, nblocks;
    wd_pool_block_t *b;
    uint64_t seed = 12345;

    for (i = 0; i < wd_nelems(chunks); i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        chunks[i].size = (seed >> 33) % 700;

        if (i % 1000 == 999) {
            chunks[i].size = 3000;      /* now and then a large one */
        }

        chunks[i].p = (i & 1) ? wd_pnalloc(pool, chunks[i].size)
                              : wd_palloc(pool, chunks[i].size);
        ck_assert_ptr_nonnull(chunks[i].p);

        if (!(i & 1)) {
            ck_assert_uint_eq((uintptr_t) chunks[i].p % WD_ALIGNMENT, 0);
        }

        memset(chunks[i].p, (int) (i & 0xff), chunks[i].size);
    }

    /* nothing overlapped: every chunk still holds its own byte (checked
     * without ck_assert per byte: each one reports to Check's parent) */
    for (i = 0; i < wd_nelems(chunks); i++) {
        for (j = 0; j < chunks[i].size; j++) {
            if (chunks[i].p[j] != (u_char) (i & 0xff)) {
                ck_abort_msg("chunk %lu overwritten", (unsigned long) i);
            }
        }
    }

    for (nblocks = 0, b = &pool->block; b; b = b->next) {
        nblocks++;
        ck_assert((uintptr_t) b->last <= (uintptr_t) b->end);
    }

    ck_assert_uint_gt(nblocks, 1000);

    /* blocks that keep failing are skipped by later searches */
    ck_assert_ptr_ne(pool->current, &pool->block);
}
END_TEST

START_TEST(test_strdup)
{
    wd_str_t src = wd_string("hello"), dst;
    u_char *p;

    p = wd_pstrdup(pool, &src);
    ck_assert_mem_eq(p, "hello", 5);

    ck_assert_int_eq(wd_pstrdupz(pool, &dst, (u_char *) "abc\0def", 7),
                     WD_OK);
    ck_assert_uint_eq(dst.len, 7);
    ck_assert_mem_eq(dst.data, "abc\0def", 8);

    ck_assert_int_eq(wd_pstrdupz(pool, &dst, (u_char *) "", 0), WD_OK);
    ck_assert_uint_eq(dst.len, 0);
    ck_assert_uint_eq(dst.data[0], '\0');
}
END_TEST

START_TEST(test_heap_helpers)
{
    u_char *p;
    wd_uint_t i;

    p = wd_calloc(64, wd_unit_quiet_log());
    ck_assert_ptr_nonnull(p);

    for (i = 0; i < 64; i++) {
        ck_assert_uint_eq(p[i], 0);
    }

    wd_free(p);
}
END_TEST

static Suite *
palloc_suite(void)
{
    Suite *s;
    TCase *tc;

    s = suite_create("wd_palloc");

    tc = tcase_create("palloc");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_create_sizes);
    tcase_add_test(tc, test_small_allocations);
    tcase_add_test(tc, test_large_allocations);
    tcase_add_test(tc, test_memalign);
    tcase_add_test(tc, test_cleanups_at_destroy);
    tcase_add_test(tc, test_cleanup_files);
    tcase_add_test(tc, test_reset);
    tcase_add_test(tc, test_reset_with_cleanups);
    tcase_add_test(tc, test_many_blocks);
    tcase_add_test(tc, test_strdup);
    tcase_add_test(tc, test_heap_helpers);
    suite_add_tcase(s, tc);

    return s;
}

WD_UNIT_MAIN(palloc_suite)
