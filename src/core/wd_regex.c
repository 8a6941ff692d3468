/*
 * PCRE2 glue.
 */

#include <wd_core.h>

static pcre2_match_data *wd_regex_match_data;
static uint32_t wd_regex_match_data_size;
static wd_uint_t wd_regex_jit = 1;

void
wd_regex_set_jit(wd_uint_t on)
{
    wd_regex_jit = on;
}

static void
wd_regex_free(void *data)
{
    wd_regex_t *re = data;

    pcre2_code_free(re->code);
}

static void
wd_regex_info(wd_regex_compile_t *rc)
{
    uint32_t n;
    PCRE2_SPTR table;

    pcre2_pattern_info(rc->regex->code, PCRE2_INFO_CAPTURECOUNT, &n);
    rc->captures = (int) n;

    pcre2_pattern_info(rc->regex->code, PCRE2_INFO_NAMECOUNT, &n);
    rc->named_captures = (int) n;

    if (n) {
        pcre2_pattern_info(rc->regex->code, PCRE2_INFO_NAMEENTRYSIZE, &n);
        rc->name_size = (int) n;
        pcre2_pattern_info(rc->regex->code, PCRE2_INFO_NAMETABLE, &table);
        rc->names = (u_char *) table;
    }
}

wd_int_t
wd_regex_compile(wd_regex_compile_t *rc)
{
    int errcode;
    u_char errstr[128], *p;
    uint32_t options;
    PCRE2_SIZE erroff;
    pcre2_code *code;
    wd_pool_cleanup_t *cln;

    options = 0;

    if (rc->options & WD_REGEX_CASELESS) {
        options |= PCRE2_CASELESS;
    }

    if (rc->options & WD_REGEX_MULTILINE) {
        options |= PCRE2_MULTILINE;
    }

    code = pcre2_compile(rc->pattern.data, rc->pattern.len, options, &errcode,
                         &erroff, NULL);

    if (code == NULL) {
        pcre2_get_error_message(errcode, errstr, sizeof(errstr));

        rc->err.data = wd_pnalloc(rc->pool, 256);

        if (rc->err.data == NULL) {
            return WD_ERROR;
        }

        /* as nginx: no "at" part when the pattern ended too early */
        if (erroff >= rc->pattern.len) {
            p = wd_slprintf(rc->err.data, rc->err.data + 256,
                            "pcre2_compile() failed: %s in \"%.*s\"", errstr,
                            wd_str_fmt(&rc->pattern));

        } else {
            p = wd_slprintf(rc->err.data, rc->err.data + 256,
                            "pcre2_compile() failed: %s in \"%.*s\" at "
                            "\"%.*s\"",
                            errstr, wd_str_fmt(&rc->pattern),
                            (int) (rc->pattern.len - erroff),
                            rc->pattern.data + erroff);
        }

        rc->err.len = p - rc->err.data;

        return WD_ERROR;
    }

    rc->regex = wd_pcalloc(rc->pool, sizeof(wd_regex_t));
    cln = wd_pool_cleanup_add(rc->pool, 0);

    if (rc->regex == NULL || cln == NULL) {
        pcre2_code_free(code);
        return WD_ERROR;
    }

    rc->regex->code = code;
    cln->handler = wd_regex_free;
    cln->data = rc->regex;

    if (wd_regex_jit) {
        /* a JIT failure only costs speed: the interpreter still works */
        (void) pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    }

    wd_regex_info(rc);

    return WD_OK;
}

wd_int_t
wd_regex_exec(wd_regex_t *re, wd_str_t *s, int *captures, wd_uint_t size)
{
    int rc;
    uint32_t n, i;
    PCRE2_SIZE *ov;

    n = (uint32_t) (size / 2);

    if (n < 1) {
        n = 1;
    }

    if (wd_regex_match_data == NULL || wd_regex_match_data_size < n) {
        if (wd_regex_match_data) {
            pcre2_match_data_free(wd_regex_match_data);
        }

        wd_regex_match_data = pcre2_match_data_create(n, NULL);

        if (wd_regex_match_data == NULL) {
            wd_regex_match_data_size = 0;
            return PCRE2_ERROR_NOMEMORY;
        }

        wd_regex_match_data_size = n;
    }

    rc = pcre2_match(re->code, s->data, s->len, 0, 0, wd_regex_match_data,
                     NULL);

    if (rc < 0) {
        return rc;
    }

    if (rc == 0 || (wd_uint_t) rc > n) {
        rc = (int) n;
    }

    ov = pcre2_get_ovector_pointer(wd_regex_match_data);

    for (i = 0; i < (uint32_t) rc && 2 * i + 1 < size; i++) {
        captures[2 * i] = (int) ov[2 * i];
        captures[2 * i + 1] = (int) ov[2 * i + 1];
    }

    return rc;
}

void
wd_regex_cleanup(void)
{
    if (wd_regex_match_data) {
        pcre2_match_data_free(wd_regex_match_data);
        wd_regex_match_data = NULL;
        wd_regex_match_data_size = 0;
    }
}
