/*
 * Regular expressions (PCRE2, JIT-compiled when pcre_jit is on).
 */

#ifndef WD_REGEX_H
#define WD_REGEX_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#define WD_REGEX_NO_MATCHED PCRE2_ERROR_NOMATCH
#define WD_REGEX_CASELESS 0x00000001
#define WD_REGEX_MULTILINE 0x00000002

typedef struct {
    pcre2_code *code;
} wd_regex_t;

typedef struct {
    wd_str_t pattern;           /* in */
    wd_pool_t *pool;            /* in */
    wd_uint_t options;          /* in */

    wd_regex_t *regex;          /* out */
    int captures;               /* out: numbered groups */
    int named_captures;         /* out */
    int name_size;              /* out: bytes per name-table entry */
    u_char *names;              /* out: the PCRE2 name table */
    wd_str_t err;               /* out: the compile error */
} wd_regex_compile_t;

/* Compiles rc->pattern; WD_ERROR with rc->err set on failure. */
wd_int_t wd_regex_compile(wd_regex_compile_t *rc);
/* Returns the number of pairs matched (> 0), WD_REGEX_NO_MATCHED, or
 * another negative PCRE2 error.  captures holds size ints (pairs). */
wd_int_t wd_regex_exec(wd_regex_t *re, wd_str_t *s, int *captures,
    wd_uint_t size);
/* Turns JIT compilation on or off for regexes compiled from now on. */
void wd_regex_set_jit(wd_uint_t on);
/* Frees the per-process match data (at exit). */
void wd_regex_cleanup(void);

#endif /* WD_REGEX_H */
