/*
 * Unit tests of src/core/wd_crc32.{c,h}: the standard check values (as
 * zlib's crc32() gives them), and a running CRC over pieces equal to the
 * CRC of the whole, from any state it was copied in.
 */

#include "../wd_unit.h"

#include <wd_crc32.h>

typedef struct {
    const char *text;
    uint32_t crc;
} crc_case_t;

static const crc_case_t cases[] = {
    { "", 0x00000000 },
    { "a", 0xe8b7be43 },
    { "123456789", 0xcbf43926 },
    { "The quick brown fox jumps over the lazy dog", 0x414fa339 },
};

START_TEST(test_check_values)
{
    const crc_case_t *c = &cases[_i];

    ck_assert_uint_eq(wd_crc32((u_char *) c->text, strlen(c->text)), c->crc);
}
END_TEST

START_TEST(test_all_bytes)
{
    u_char buf[256];
    size_t i;

    for (i = 0; i < sizeof(buf); i++) {
        buf[i] = (u_char) i;
    }

    /* zlib.crc32(bytes(range(256))) */
    ck_assert_uint_eq(wd_crc32(buf, sizeof(buf)), 0x29058c73);
}
END_TEST

START_TEST(test_pieces)
{
    const char *text = "The quick brown fox jumps over the lazy dog";
    size_t len, cut;
    uint32_t crc, prefix;

    len = strlen(text);

    for (cut = 0; cut <= len; cut++) {
        prefix = wd_crc32_update(wd_crc32_init(), (u_char *) text, cut);

        crc = wd_crc32_update(prefix, (u_char *) text + cut, len - cut);
        ck_assert_uint_eq(wd_crc32_final(crc), 0x414fa339);

        /* the state continued twice from one copy */
        crc = wd_crc32_update(prefix, (u_char *) text + cut, len - cut);
        ck_assert_uint_eq(wd_crc32_final(crc), 0x414fa339);
    }
}
END_TEST

static Suite *
crc32_suite(void)
{
    Suite *s;
    TCase *tc;

    s = suite_create("wd_crc32");

    tc = tcase_create("crc32");
    tcase_add_loop_test(tc, test_check_values, 0,
                        sizeof(cases) / sizeof(cases[0]));
    tcase_add_test(tc, test_all_bytes);
    tcase_add_test(tc, test_pieces);
    suite_add_tcase(s, tc);

    return s;
}

WD_UNIT_MAIN(crc32_suite)
