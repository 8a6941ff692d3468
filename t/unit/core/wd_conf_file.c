/*
 * Unit tests of src/core/wd_conf_file.c and wd_conf_slots.c: the
 * tokenizer, directive dispatch, include, the -g parameter, the generic
 * setters, and every error message with the file and line it names.
 *
 * A test-only core module ("t_*" directives) gives each generic setter
 * a directive, and a block directive that nests.
 */

#include "../wd_unit.h"

static wd_unit_conf_t *u;

extern wd_module_t wd_epoll_module;

#define MAIN_CONF "conf/warden.conf"


/* ---- the test module ---------------------------------------------- */

typedef struct {
    wd_flag_t flag;
    wd_int_t num;
    size_t size;
    off_t off;
    wd_msec_t msec;
    time_t sec;
    wd_str_t str;
    wd_array_t *strs;
    wd_array_t *kv;
    wd_uint_t enm;
    wd_uint_t mask;
    wd_bufs_t bufs;
    wd_uint_t access;
    wd_path_t *path;
    wd_int_t bounded;
    wd_int_t at_least;
    wd_flag_t old;
} t_conf_t;

/* What t_record and the word recorder saw, in order. */
static char record[16384];

static void
record_add(const char *s, size_t len)
{
    size_t n = strlen(record);

    ck_assert_uint_lt(n + len, sizeof(record));
    memcpy(record + n, s, len);
    record[n + len] = '\0';
}

/* Appends each argument as <word> (a NUL byte shown as \0), then ";". */
static void
record_args(wd_conf_t *cf, wd_uint_t first)
{
    wd_uint_t i, j;
    wd_str_t *value;

    value = cf->args->elts;

    for (i = first; i < cf->args->nelts; i++) {
        record_add("<", 1);

        for (j = 0; j < value[i].len; j++) {
            if (value[i].data[j] == '\0') {
                record_add("\\0", 2);
            } else {
                record_add((char *) &value[i].data[j], 1);
            }
        }

        /* setters may rely on it: every word is NUL-terminated */
        ck_assert_int_eq(value[i].data[value[i].len], '\0');
        record_add(">", 1);
    }

    record_add(";", 1);
}

static char *
t_record(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    record_args(cf, 0);
    return WD_CONF_OK;
}

static char *
t_block(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    return wd_conf_parse(cf, NULL);
}

static wd_conf_enum_t t_enums[] = {
    { wd_string("one"), 1 },
    { wd_string("two"), 2 },
    { wd_null_string, 0 }
};

static wd_conf_bitmask_t t_masks[] = {
    { wd_string("a"), 0x01 },
    { wd_string("b"), 0x02 },
    { wd_string("c"), 0x04 },
    { wd_null_string, 0 }
};

static wd_conf_num_bounds_t t_bounds = {
    wd_conf_check_num_bounds, 1, 10
};

static wd_conf_num_bounds_t t_min_bound = {
    wd_conf_check_num_bounds, 5, -1
};

static wd_conf_deprecated_t t_old_name = {
    wd_conf_deprecated, "t_old", "t_flag"
};

#define T_DIRECT (WD_MAIN_CONF | WD_DIRECT_CONF)
#define T_SLOT(name, args, set, field, post)                                   \
    { wd_string(name), T_DIRECT | args, set, 0, offsetof(t_conf_t, field),     \
      post }

static wd_command_t t_commands[] = {
    T_SLOT("t_flag", WD_CONF_FLAG, wd_conf_set_flag_slot, flag, NULL),
    T_SLOT("t_num", WD_CONF_TAKE1, wd_conf_set_num_slot, num, NULL),
    T_SLOT("t_size", WD_CONF_TAKE1, wd_conf_set_size_slot, size, NULL),
    T_SLOT("t_off", WD_CONF_TAKE1, wd_conf_set_off_slot, off, NULL),
    T_SLOT("t_msec", WD_CONF_TAKE1, wd_conf_set_msec_slot, msec, NULL),
    T_SLOT("t_sec", WD_CONF_TAKE1, wd_conf_set_sec_slot, sec, NULL),
    T_SLOT("t_str", WD_CONF_TAKE1, wd_conf_set_str_slot, str, NULL),
    T_SLOT("t_strs", WD_CONF_TAKE1, wd_conf_set_str_array_slot, strs, NULL),
    T_SLOT("t_kv", WD_CONF_TAKE2, wd_conf_set_keyval_slot, kv, NULL),
    T_SLOT("t_enum", WD_CONF_TAKE1, wd_conf_set_enum_slot, enm, t_enums),
    T_SLOT("t_mask", WD_CONF_1MORE, wd_conf_set_bitmask_slot, mask, t_masks),
    T_SLOT("t_bufs", WD_CONF_TAKE2, wd_conf_set_bufs_slot, bufs, NULL),
    T_SLOT("t_access", WD_CONF_TAKE123, wd_conf_set_access_slot, access,
           NULL),
    T_SLOT("t_path", WD_CONF_TAKE1234, wd_conf_set_path_slot, path, NULL),
    T_SLOT("t_bounded", WD_CONF_TAKE1, wd_conf_set_num_slot, bounded,
           &t_bounds),
    T_SLOT("t_at_least", WD_CONF_TAKE1, wd_conf_set_num_slot, at_least,
           &t_min_bound),
    T_SLOT("t_old", WD_CONF_FLAG, wd_conf_set_flag_slot, old, &t_old_name),

    { wd_string("t_record"), T_DIRECT | WD_CONF_ANY, t_record, 0, 0, NULL },
    { wd_string("t_take2"), T_DIRECT | WD_CONF_TAKE2, t_record, 0, 0, NULL },
    { wd_string("t_take13"), T_DIRECT | WD_CONF_TAKE13, t_record, 0, 0,
      NULL },
    { wd_string("t_2more"), T_DIRECT | WD_CONF_2MORE, t_record, 0, 0, NULL },
    { wd_string("t_noargs"), T_DIRECT | WD_CONF_NOARGS, t_record, 0, 0,
      NULL },
    { wd_string("t_take7"), T_DIRECT | WD_CONF_TAKE7, t_record, 0, 0, NULL },
    { wd_string("t_block"), WD_MAIN_CONF | WD_CONF_BLOCK | WD_CONF_ANY,
      t_block, 0, 0, NULL },

    wd_null_command
};

static void *
t_create_conf(wd_cycle_t *cycle)
{
    t_conf_t *tcf;

    tcf = wd_pcalloc(cycle->pool, sizeof(t_conf_t));

    if (tcf == NULL) {
        return NULL;
    }

    tcf->flag = WD_CONF_UNSET;
    tcf->num = WD_CONF_UNSET;
    tcf->size = WD_CONF_UNSET_SIZE;
    tcf->off = WD_CONF_UNSET;
    tcf->msec = WD_CONF_UNSET_MSEC;
    tcf->sec = WD_CONF_UNSET;
    tcf->strs = WD_CONF_UNSET_PTR;
    tcf->enm = WD_CONF_UNSET_UINT;
    tcf->access = WD_CONF_UNSET_UINT;
    tcf->path = WD_CONF_UNSET_PTR;
    tcf->bounded = WD_CONF_UNSET;
    tcf->at_least = WD_CONF_UNSET;
    tcf->old = WD_CONF_UNSET;

    return tcf;
}

static wd_core_module_t t_module_ctx = {
    wd_string("unit"),
    t_create_conf,
    NULL
};

static wd_module_t t_module = {
    WD_MODULE_V1,
    &t_module_ctx,
    t_commands,
    WD_CORE_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

#define tcf() ((t_conf_t *) u->cycle->conf_ctx[t_module.index])
#define ccf() ((wd_core_conf_t *) u->cycle->conf_ctx[wd_core_module.index])


/* ---- fixtures and assertions ------------------------------------- */

static void
setup(void)
{
    record[0] = '\0';
    u = wd_unit_conf_create();
    wd_unit_add_module(u, &t_module);
}

static void
teardown(void)
{
    wd_unit_conf_destroy(u);
    u = NULL;
}

/* The main file parses and nothing is logged. */
#define conf_ok(text)                                                          \
    do {                                                                       \
        ck_assert_ptr_eq(wd_unit_parse(u, text), WD_CONF_OK);                  \
        ck_assert_str_eq(wd_unit_log(u), "");                                  \
    } while (0)

/* The main file fails with one [emerg] line at FILE:LINE. */
#define conf_error_in(text, msg, file, line)                                   \
    do {                                                                       \
        ck_assert_ptr_eq(wd_unit_parse(u, text), WD_CONF_ERROR);               \
        wd_unit_log_is(u, "[emerg] %s in %s%s:%d\n", msg, u->prefix, file,    \
                       line);                                                  \
    } while (0)

#define conf_error(text, msg, line) conf_error_in(text, msg, MAIN_CONF, line)

/* conf_error in a fresh cycle, for independent cases in one test. */
#define bad_conf(text, msg, line)                                              \
    do {                                                                       \
        teardown();                                                            \
        setup();                                                               \
        conf_error(text, msg, line);                                           \
    } while (0)

/* The -g string, in a fresh cycle, fails with one [emerg] line
 * "... in command line". */
#define param_error(text, msg)                                                 \
    do {                                                                       \
        teardown();                                                            \
        setup();                                                               \
        wd_str_set(&u->cycle->conf_param, text);                               \
        ck_assert_ptr_eq(wd_conf_param(&u->cf), WD_CONF_ERROR);                \
        wd_unit_log_is(u, "[emerg] %s in command line\n", msg);                \
    } while (0)

/* Word recorder: a cf->handler that sees every directive's words. */
static char *
words_handler(wd_conf_t *cf, wd_command_t *dummy, void *conf)
{
    record_args(cf, 0);
    return WD_CONF_OK;
}

static const char *
words_len(const char *text, size_t len)
{
    wd_str_t name = wd_string("words.conf");
    u_char *copy;

    /* an exact-size copy, so a read past the end is caught by ASan */
    copy = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, text, len);

    record[0] = '\0';
    u->cf.handler = words_handler;

    ck_assert_ptr_eq(wd_conf_parse_text(&u->cf, &name, copy, len),
                     WD_CONF_OK);
    ck_assert_str_eq(wd_unit_log(u), "");

    u->cf.handler = NULL;
    free(copy);

    return record;
}

#define words(text) words_len(text, sizeof(text) - 1)


/* ---- dispatch errors ---------------------------------------------- */

START_TEST(test_unknown_directive)
{
    bad_conf("daemon on;\n\nfoo bar;\n", "unknown directive \"foo\"", 3);
    bad_conf("foo;", "unknown directive \"foo\"", 1);
    bad_conf("\"fo o\" x;\n", "unknown directive \"fo o\"", 1);
    bad_conf("foo {\n}\n", "unknown directive \"foo\"", 1);
    /* directive names are case-sensitive, as in nginx */
    bad_conf("Daemon on;\n", "unknown directive \"Daemon\"", 1);
}
END_TEST

START_TEST(test_not_allowed_here)
{
    bad_conf("worker_connections 10;\n",
               "\"worker_connections\" directive is not allowed here", 1);
    bad_conf("events {\n    daemon on;\n}\n",
               "\"daemon\" directive is not allowed here", 2);
    bad_conf("events {\n    events {}\n}\n",
               "\"events\" directive is not allowed here", 2);
}
END_TEST

START_TEST(test_invalid_number_of_arguments)
{
    bad_conf("daemon;\n",
               "invalid number of arguments in \"daemon\" directive", 1);
    bad_conf("daemon on off;\n",
               "invalid number of arguments in \"daemon\" directive", 1);
    bad_conf("pid a b;\n",
               "invalid number of arguments in \"pid\" directive", 1);
    bad_conf("events x {\n}\n",
               "invalid number of arguments in \"events\" directive", 1);
    /* more words than any TAKEn: the table must not be read past its end */
    bad_conf("pid 1 2 3 4 5 6 7 8 9;\n",
               "invalid number of arguments in \"pid\" directive", 1);
    bad_conf("t_take7 1 2 3 4 5 6 7 8;\n",
               "invalid number of arguments in \"t_take7\" directive", 1);
    bad_conf("t_take2 1;\n",
               "invalid number of arguments in \"t_take2\" directive", 1);
    bad_conf("t_take13 1 2;\n",
               "invalid number of arguments in \"t_take13\" directive", 1);
    bad_conf("t_2more 1;\n",
               "invalid number of arguments in \"t_2more\" directive", 1);
    bad_conf("t_noargs 1;\n",
               "invalid number of arguments in \"t_noargs\" directive", 1);
    bad_conf("t_mask;\n",
               "invalid number of arguments in \"t_mask\" directive", 1);
    /* the line is where the directive ends */
    bad_conf("daemon\n\n;\n",
               "invalid number of arguments in \"daemon\" directive", 3);
}
END_TEST

START_TEST(test_argument_counts_accepted)
{
    conf_ok("t_take7 1 2 3 4 5 6 7;\nt_take13 1;\nt_take13 1 2 3;\n"
            "t_2more 1 2;\nt_2more 1 2 3 4 5 6 7 8 9 10;\nt_noargs;\n"
            "t_record;\nt_record 1 2 3 4 5 6 7 8 9 10 11;\n");
    ck_assert_str_eq(record,
                     "<t_take7><1><2><3><4><5><6><7>;<t_take13><1>;"
                     "<t_take13><1><2><3>;<t_2more><1><2>;"
                     "<t_2more><1><2><3><4><5><6><7><8><9><10>;"
                     "<t_noargs>;<t_record>;"
                     "<t_record><1><2><3><4><5><6><7><8><9><10><11>;");
}
END_TEST

START_TEST(test_duplicate_directive)
{
    conf_error("daemon on;\ndaemon off;\n", "\"daemon\" directive is duplicate",
               2);
    conf_error("events {}\nevents {}\n", "\"events\" directive is duplicate",
               2);
}
END_TEST

START_TEST(test_duplicate_slots)
{
    static const char *dups[] = {
        "t_flag on;\nt_flag on;\n", "t_num 1;\nt_num 1;\n",
        "t_size 1;\nt_size 1;\n", "t_off 1;\nt_off 1;\n",
        "t_msec 1;\nt_msec 1;\n", "t_sec 1;\nt_sec 1;\n",
        "t_str a;\nt_str a;\n", "t_enum one;\nt_enum two;\n",
        "t_bufs 1 1k;\nt_bufs 1 1k;\n", "t_access all:r;\nt_access all:r;\n",
        "t_path a;\nt_path b;\n", "pid a;\npid a;\n",
        "worker_processes 1;\nworker_processes 1;\n",
        "worker_rlimit_nofile 1;\nworker_rlimit_nofile 1;\n",
        "worker_cpu_affinity 01;\nworker_cpu_affinity 01;\n",
        "worker_priority 1;\nworker_priority 2;\n",
    };
    char msg[128], *name;
    size_t i;

    for (i = 0; i < wd_nelems(dups); i++) {
        teardown();
        setup();

        name = strndup(dups[i], strcspn(dups[i], " "));
        snprintf(msg, sizeof(msg), "\"%s\" directive is duplicate", name);
        free(name);

        conf_error(dups[i], msg, 2);
    }
}
END_TEST


/* ---- values the generic setters reject or accept ------------------- */

START_TEST(test_flag_values)
{
    bad_conf("daemon yes;\n",
               "invalid value \"yes\" in \"daemon\" directive, "
               "it must be \"on\" or \"off\"", 1);
    bad_conf("daemon \"\";\n",
               "invalid value \"\" in \"daemon\" directive, "
               "it must be \"on\" or \"off\"", 1);
    bad_conf("t_flag onn;\n",
               "invalid value \"onn\" in \"t_flag\" directive, "
               "it must be \"on\" or \"off\"", 1);

    teardown();
    setup();
    conf_ok("daemon ON;\nmaster_process Off;\nt_flag on;\n");
    ck_assert_int_eq(ccf()->daemon, 1);
    ck_assert_int_eq(ccf()->master, 0);
    ck_assert_int_eq(tcf()->flag, 1);
}
END_TEST

START_TEST(test_number_values)
{
    bad_conf("worker_rlimit_nofile 12x;\n",
               "\"worker_rlimit_nofile\" directive invalid number", 1);
    bad_conf("t_num -1;\n", "\"t_num\" directive invalid number", 1);
    bad_conf("t_num \"\";\n", "\"t_num\" directive invalid number", 1);
    bad_conf("t_num 9223372036854775808;\n",
               "\"t_num\" directive invalid number", 1);

    teardown();
    setup();
    conf_ok("t_num 9223372036854775807;\nworker_rlimit_nofile 1024;\n");
    ck_assert_int_eq(tcf()->num, INTPTR_MAX);
    ck_assert_int_eq(ccf()->rlimit_nofile, 1024);
}
END_TEST

START_TEST(test_size_values)
{
    bad_conf("t_size 8q;\n", "\"t_size\" directive invalid value", 1);
    bad_conf("t_size k;\n", "\"t_size\" directive invalid value", 1);
    bad_conf("worker_rlimit_core 1t;\n",
               "\"worker_rlimit_core\" directive invalid value", 1);

    teardown();
    setup();
    conf_ok("t_size 8k;\nt_off 1g;\nworker_rlimit_core 2M;\n");
    ck_assert_uint_eq(tcf()->size, 8192);
    ck_assert_int_eq(tcf()->off, 1024 * 1024 * 1024);
    ck_assert_int_eq(ccf()->rlimit_core, 2 * 1024 * 1024);
}
END_TEST

START_TEST(test_time_values)
{
    bad_conf("timer_resolution 1x;\n",
               "\"timer_resolution\" directive invalid value", 1);
    bad_conf("t_sec 30ms;\n", "\"t_sec\" directive invalid value", 1);
    bad_conf("t_msec 1s1h;\n", "\"t_msec\" directive invalid value", 1);

    teardown();
    setup();
    conf_ok("t_msec 500ms;\nt_sec 1h30m;\ntimer_resolution \"1s 5ms\";\n"
            "worker_shutdown_timeout 10;\n");
    ck_assert_uint_eq(tcf()->msec, 500);
    ck_assert_int_eq(tcf()->sec, 5400);
    ck_assert_uint_eq(ccf()->timer_resolution, 1005);
    ck_assert_uint_eq(ccf()->shutdown_timeout, 10000);
}
END_TEST

START_TEST(test_enum_and_bitmask_values)
{
    bad_conf("debug_points crash;\n", "invalid value \"crash\"", 1);
    bad_conf("t_enum three;\n", "invalid value \"three\"", 1);
    bad_conf("t_mask a z;\n", "invalid value \"z\"", 1);

    teardown();
    setup();
    conf_ok("debug_points STOP;\nt_enum Two;\nt_mask a C;\n");
    ck_assert_int_eq(ccf()->debug_points, WD_DEBUG_POINTS_STOP);
    ck_assert_uint_eq(tcf()->enm, 2);
    ck_assert_uint_eq(tcf()->mask, 0x05);

    /* a value given twice is a warning, and the directive still works */
    teardown();
    setup();
    ck_assert_ptr_eq(wd_unit_parse(u, "t_mask b\n b;\n"), WD_CONF_OK);
    wd_unit_log_is(u, "[warn] duplicate value \"b\" in %s%s:2\n", u->prefix,
                   MAIN_CONF);
    ck_assert_uint_eq(tcf()->mask, 0x02);
}
END_TEST

START_TEST(test_bufs_values)
{
    bad_conf("t_bufs 0 8k;\n", "\"t_bufs\" directive invalid value", 1);
    bad_conf("t_bufs x 8k;\n", "\"t_bufs\" directive invalid value", 1);
    bad_conf("t_bufs 4 0;\n", "\"t_bufs\" directive invalid value", 1);
    bad_conf("t_bufs 4 8x;\n", "\"t_bufs\" directive invalid value", 1);

    teardown();
    setup();
    conf_ok("t_bufs 4 8k;\n");
    ck_assert_int_eq(tcf()->bufs.num, 4);
    ck_assert_uint_eq(tcf()->bufs.size, 8192);
}
END_TEST

START_TEST(test_access_values)
{
    bad_conf("t_access other:r;\n", "invalid value \"other:r\"", 1);
    bad_conf("t_access user:x;\n", "invalid value \"user:x\"", 1);
    bad_conf("t_access all:rw all;\n", "invalid value \"all\"", 1);

    teardown();
    setup();
    conf_ok("t_access user:rw group:r all:r;\n");
    ck_assert_uint_eq(tcf()->access, 0644);

    teardown();
    setup();
    conf_ok("t_access group:rw;\n");
    ck_assert_uint_eq(tcf()->access, 0660);

    teardown();
    setup();
    conf_ok("t_access user:r;\n");
    ck_assert_uint_eq(tcf()->access, 0400);
}
END_TEST

START_TEST(test_path_values)
{
    wd_path_t *path;
    char want[512];

    bad_conf("t_path cache 3;\n", "\"t_path\" directive invalid value", 1);
    bad_conf("t_path cache 1 0;\n", "\"t_path\" directive invalid value",
               1);
    bad_conf("t_path cache 1 x;\n", "\"t_path\" directive invalid value",
               1);

    teardown();
    setup();
    conf_ok("\n t_path cache/ 1 2;\n");
    path = tcf()->path;
    snprintf(want, sizeof(want), "%scache", u->prefix);
    ck_assert_uint_eq(path->name.len, strlen(want));
    ck_assert_mem_eq(path->name.data, want, path->name.len);
    ck_assert_uint_eq(path->level[0], 1);
    ck_assert_uint_eq(path->level[1], 2);
    ck_assert_uint_eq(path->level[2], 0);
    ck_assert_uint_eq(path->len, 5);
    ck_assert_uint_eq(path->line, 2);
    snprintf(want, sizeof(want), "%s%s", u->prefix, MAIN_CONF);
    ck_assert_str_eq((char *) path->conf_file, want);

    teardown();
    setup();
    conf_ok("t_path /abs/dir 2 2 2;\n");
    ck_assert_uint_eq(tcf()->path->name.len, 8);
    ck_assert_mem_eq(tcf()->path->name.data, "/abs/dir", 8);
    ck_assert_uint_eq(tcf()->path->len, 9);
}
END_TEST

START_TEST(test_bounds_and_deprecated)
{
    bad_conf("t_bounded 11;\n", "value must be between 1 and 10", 1);
    bad_conf("t_bounded 0;\n", "value must be between 1 and 10", 1);
    bad_conf("t_at_least 4;\n", "value must be equal to or greater than 5",
               1);

    teardown();
    setup();
    conf_ok("t_bounded 10;\nt_at_least 5000;\n");
    ck_assert_int_eq(tcf()->bounded, 10);
    ck_assert_int_eq(tcf()->at_least, 5000);

    teardown();
    setup();
    ck_assert_ptr_eq(wd_unit_parse(u, "t_old on;\n"), WD_CONF_OK);
    wd_unit_log_is(u, "[warn] the \"t_old\" directive is deprecated, use "
                   "the \"t_flag\" directive instead in %s%s:1\n", u->prefix,
                   MAIN_CONF);
    ck_assert_int_eq(tcf()->old, 1);
}
END_TEST

START_TEST(test_string_slots)
{
    wd_str_t *s;
    wd_keyval_t *kv;

    conf_ok("t_str \"a b\";\nt_strs x;\nt_strs y;\nt_kv k1 v1;\nt_kv k2 '';\n");

    ck_assert_uint_eq(tcf()->str.len, 3);
    ck_assert_str_eq((char *) tcf()->str.data, "a b");

    ck_assert_uint_eq(tcf()->strs->nelts, 2);
    s = tcf()->strs->elts;
    ck_assert_str_eq((char *) s[0].data, "x");
    ck_assert_str_eq((char *) s[1].data, "y");

    ck_assert_uint_eq(tcf()->kv->nelts, 2);
    kv = tcf()->kv->elts;
    ck_assert_str_eq((char *) kv[0].key.data, "k1");
    ck_assert_str_eq((char *) kv[0].value.data, "v1");
    ck_assert_str_eq((char *) kv[1].key.data, "k2");
    ck_assert_uint_eq(kv[1].value.len, 0);
}
END_TEST


/* ---- grammar errors ------------------------------------------------ */

START_TEST(test_unexpected_close_brace)
{
    bad_conf("}\n", "unexpected \"}\"", 1);
    bad_conf("daemon on;\n}\n", "unexpected \"}\"", 2);
    bad_conf("daemon on }\n", "unexpected \"}\"", 1);
    bad_conf("events {\n}\n}\n", "unexpected \"}\"", 3);
    bad_conf("daemon \"on\"}\n", "unexpected \"}\"", 1);
}
END_TEST

START_TEST(test_unexpected_semicolon)
{
    bad_conf(";\n", "unexpected \";\"", 1);
    bad_conf("daemon on;;\n", "unexpected \";\"", 1);
    bad_conf("events {\n;\n}\n", "unexpected \";\"", 2);
    bad_conf("daemon on;\n  \n\t;", "unexpected \";\"", 3);
}
END_TEST

START_TEST(test_unexpected_open_brace)
{
    bad_conf("{\n", "unexpected \"{\"", 1);
    bad_conf("daemon on;\n\n{}\n", "unexpected \"{\"", 3);
    bad_conf("events {\n    {\n}\n", "unexpected \"{\"", 2);
}
END_TEST

START_TEST(test_unexpected_end_of_file)
{
    bad_conf("events {\n", "unexpected end of file, expecting \"}\"", 2);
    bad_conf("events {", "unexpected end of file, expecting \"}\"", 1);
    bad_conf("t_block {\n t_block {\n }\n",
               "unexpected end of file, expecting \"}\"", 4);
    bad_conf("daemon on",
               "unexpected end of file, expecting \";\" or \"}\"", 1);
    bad_conf("daemon on\n\n",
               "unexpected end of file, expecting \";\" or \"}\"", 3);
    bad_conf("daemon",
               "unexpected end of file, expecting \";\" or \"}\"", 1);
    bad_conf("events {\n    worker_connections 1",
               "unexpected end of file, expecting \";\" or \"}\"", 2);
    /* an escape at the very end leaves a word open */
    bad_conf("daemon on\\",
               "unexpected end of file, expecting \";\" or \"}\"", 1);
}
END_TEST

START_TEST(test_unterminated_quotes)
{
    bad_conf("pid \"logs/x.pid;\n",
               "unexpected end of file, expecting \";\" or \"}\"", 2);
    bad_conf("pid 'logs/x.pid;\n",
               "unexpected end of file, expecting \";\" or \"}\"", 2);
    /* an escaped quote does not close the string */
    bad_conf("pid \"a\\\";\n",
               "unexpected end of file, expecting \";\" or \"}\"", 2);
    bad_conf("pid 'a\\';\n\n",
               "unexpected end of file, expecting \";\" or \"}\"", 3);
}
END_TEST

START_TEST(test_text_after_quote)
{
    bad_conf("daemon \"x\"y;\n", "unexpected \"y\"", 1);
    bad_conf("daemon 'x'y;\n", "unexpected \"y\"", 1);
    bad_conf("daemon \"x\"\"y\";\n", "unexpected \"\"\"", 1);
    bad_conf("daemon 'it''s';\n", "unexpected \"'\"", 1);
    bad_conf("daemon \"x\"#;\n", "unexpected \"#\"", 1);
    bad_conf("\n\"daemon\"on;\n", "unexpected \"o\"", 2);
}
END_TEST

START_TEST(test_not_terminated_and_no_opening)
{
    bad_conf("daemon {}\n", "directive \"daemon\" is not terminated by \";\"",
               1);
    bad_conf("daemon on\n{\n}\n",
               "directive \"daemon\" is not terminated by \";\"", 2);
    bad_conf("daemon \"on\"{}\n",
               "directive \"daemon\" is not terminated by \";\"", 1);
    bad_conf("events;\n", "directive \"events\" has no opening \"{\"", 1);
    bad_conf("\nt_block a b;\n", "directive \"t_block\" has no opening \"{\"",
               2);
}
END_TEST


/* ---- include -------------------------------------------------------- */

START_TEST(test_include_missing_file)
{
    char msg[600];

    snprintf(msg, sizeof(msg), "open() \"%sconf/nothere.conf\" failed "
             "(2: No such file or directory)", u->prefix);
    conf_error("daemon on;\ninclude nothere.conf;\n", msg, 2);

    teardown();
    setup();
    snprintf(msg, sizeof(msg), "open() \"%sconf/../nowhere/x.conf\" failed "
             "(2: No such file or directory)", u->prefix);
    wd_unit_write(u, "conf/in.conf", "\n\ninclude ../nowhere/x.conf;\n");
    conf_error_in("include in.conf;\n", msg, "conf/in.conf", 3);
}
END_TEST

START_TEST(test_include_directory)
{
    wd_unit_mkdir(u, "conf/adir");

    /* nginx's wording and level: the read fails, not the open, and the
     * message has no file:line */
    ck_assert_ptr_eq(wd_unit_parse(u, "include adir;\n"), WD_CONF_ERROR);
    wd_unit_log_is(u, "[crit] pread() \"%sconf/adir\" failed "
                   "(21: Is a directory)\n", u->prefix);
}
END_TEST

START_TEST(test_include_glob)
{
    /* no match is not an error, in an existing or a missing directory */
    wd_unit_mkdir(u, "conf/empty");
    conf_ok("include empty/*.conf;\ninclude nodir/*.conf;\n"
            "include empty/[ab].conf;\n");

    wd_unit_write(u, "conf/g/b.conf", "t_record b;\n");
    wd_unit_write(u, "conf/g/a.conf", "t_record a;\n");
    wd_unit_write(u, "conf/g/c.conf", "t_record c;\n");
    wd_unit_write(u, "conf/g/ab.conf", "t_record ab;\n");
    wd_unit_write(u, "conf/g/a.txt", "t_record txt;\n");

    record[0] = '\0';
    conf_ok("include g/*.conf;\n");
    ck_assert_str_eq(record, "<t_record><a>;<t_record><ab>;<t_record><b>;"
                     "<t_record><c>;");

    teardown();
    setup();
    wd_unit_write(u, "conf/g/b.conf", "t_record b;\n");
    wd_unit_write(u, "conf/g/a.conf", "t_record a;\n");
    wd_unit_write(u, "conf/g/c.conf", "t_record c;\n");
    conf_ok("include g/?.conf;\ninclude g/[cb].conf;\n");
    ck_assert_str_eq(record, "<t_record><a>;<t_record><b>;<t_record><c>;"
                     "<t_record><b>;<t_record><c>;");
}
END_TEST

START_TEST(test_include_error_location)
{
    wd_unit_write(u, "conf/sub/bad.conf", "\n\nfoo_bad;\n");
    conf_error_in("daemon on;\ninclude sub/bad.conf;\n",
                  "unknown directive \"foo_bad\"", "conf/sub/bad.conf", 3);

    /* after an include, lines count on in the including file */
    teardown();
    setup();
    wd_unit_write(u, "conf/ok.conf", "\n\n\n\nt_record ok;\n\n");
    conf_error("include ok.conf;\n\nfoo;\n", "unknown directive \"foo\"", 3);

    /* a glob stops at the first file with an error */
    teardown();
    setup();
    wd_unit_write(u, "conf/g/a.conf", "t_record a;\n");
    wd_unit_write(u, "conf/g/b.conf", "t_record b;\n{\n");
    wd_unit_write(u, "conf/g/c.conf", "t_record c;\n");
    conf_error_in("include g/*.conf;\n", "unexpected \"{\"", "conf/g/b.conf",
                  2);
    ck_assert_str_eq(record, "<t_record><a>;<t_record><b>;");

    /* an include inside an included file is relative to conf/ too */
    teardown();
    setup();
    wd_unit_write(u, "conf/x/outer.conf", "include y/inner.conf;\n");
    wd_unit_write(u, "conf/y/inner.conf", "\n{\n");
    conf_error_in("include x/outer.conf;\n", "unexpected \"{\"",
                  "conf/y/inner.conf", 2);

    /* a duplicate across files is reported where the second one is */
    teardown();
    setup();
    wd_unit_write(u, "conf/one.conf", "daemon on;\n");
    wd_unit_write(u, "conf/two.conf", "\ndaemon on;\n");
    conf_error_in("include one.conf;\ninclude two.conf;\n",
                  "\"daemon\" directive is duplicate", "conf/two.conf", 2);
}
END_TEST

START_TEST(test_include_in_events)
{
    wd_event_conf_t *ecf;
    void ***ctx;

    wd_unit_write(u, "conf/ev.conf", "worker_connections 7;\n");
    conf_ok("events {\n    include ev.conf;\n    multi_accept on;\n}\n"
            "daemon off;\n");

    ctx = u->cycle->conf_ctx[wd_events_module.index];
    ecf = (*ctx)[wd_event_core_module.ctx_index];
    ck_assert_uint_eq(ecf->connections, 7);
    ck_assert_int_eq(ecf->multi_accept, 1);
    ck_assert_int_eq(ccf()->daemon, 0);

    /* an included file keeps the context of the include */
    teardown();
    setup();
    wd_unit_write(u, "conf/ev.conf", "\ndaemon on;\n");
    conf_error_in("events {\n    include ev.conf;\n}\n",
                  "\"daemon\" directive is not allowed here", "conf/ev.conf",
                  2);
}
END_TEST

START_TEST(test_include_nested_too_deeply)
{
    char msg[600], name[64], text[64];
    int i;

    wd_unit_write(u, "conf/self.conf", "include self.conf;\n");
    snprintf(msg, sizeof(msg), "include of \"%sconf/self.conf\" is nested "
             "too deeply", u->prefix);
    ck_assert_ptr_eq(wd_unit_parse_file(u, "conf/self.conf"), WD_CONF_ERROR);
    wd_unit_log_is(u, "[emerg] %s in %sconf/self.conf:1\n", msg, u->prefix);

    /* a chain of WD_CONF_MAX_INCLUDE_DEPTH files is fine, one more is not */
    teardown();
    setup();

    for (i = 0; i < WD_CONF_MAX_INCLUDE_DEPTH; i++) {
        snprintf(name, sizeof(name), "conf/f%d.conf", i);
        snprintf(text, sizeof(text), "include f%d.conf;\n", i + 1);
        wd_unit_write(u, name, text);
    }

    snprintf(name, sizeof(name), "conf/f%d.conf", WD_CONF_MAX_INCLUDE_DEPTH);
    wd_unit_write(u, name, "t_record end;\n");

    ck_assert_ptr_eq(wd_unit_parse_file(u, "conf/f1.conf"), WD_CONF_OK);
    ck_assert_str_eq(record, "<t_record><end>;");
    ck_assert_str_eq(wd_unit_log(u), "");

    ck_assert_ptr_eq(wd_unit_parse_file(u, "conf/f0.conf"), WD_CONF_ERROR);
    wd_unit_log_is(u, "[emerg] include of \"%sconf/f%d.conf\" is nested too "
                   "deeply in %sconf/f%d.conf:1\n", u->prefix,
                   WD_CONF_MAX_INCLUDE_DEPTH, u->prefix,
                   WD_CONF_MAX_INCLUDE_DEPTH - 1);
}
END_TEST

START_TEST(test_include_special_files)
{
    /* devices read as empty files, as in nginx; none of them hangs */
    conf_ok("include /dev/null;\ninclude /dev/zero;\ndaemon on;\n");
    ck_assert_int_eq(ccf()->daemon, 1);
}
END_TEST

START_TEST(test_include_fifo)
{
    char path[512];

    /* a FIFO with no writer must not block the parser (bug: open()
     * waited for a writer forever) */
    snprintf(path, sizeof(path), "%sconf/fifo", u->prefix);
    ck_assert_int_eq(mkfifo(path, 0644), 0);
    conf_ok("include fifo;\ndaemon on;\n");
    ck_assert_int_eq(ccf()->daemon, 1);
}
END_TEST

START_TEST(test_file_too_large)
{
    char path[512];
    int fd;

    snprintf(path, sizeof(path), "%sconf/big.conf", u->prefix);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ne(fd, -1);
    ck_assert_int_eq(ftruncate(fd, WD_CONF_MAX_FILE_SIZE + 1), 0);
    close(fd);

    snprintf(path, sizeof(path), "configuration file \"%sconf/big.conf\" is "
             "too large", u->prefix);
    conf_error("\ninclude big.conf;\n", path, 2);
}
END_TEST

START_TEST(test_config_dump)
{
    wd_conf_dump_t *cd;
    char want[512];

    u->cycle->config_dump = wd_array_create(u->cycle->pool, 4,
                                            sizeof(wd_conf_dump_t));
    ck_assert_ptr_nonnull(u->cycle->config_dump);

    wd_unit_write(u, "conf/inc.conf", "t_record x;\n");
    conf_ok("include inc.conf;\ninclude inc.conf;\n");

    /* each file once, in the order first read */
    ck_assert_uint_eq(u->cycle->config_dump->nelts, 2);
    cd = u->cycle->config_dump->elts;

    snprintf(want, sizeof(want), "%s%s", u->prefix, MAIN_CONF);
    ck_assert_str_eq((char *) cd[0].name.data, want);
    ck_assert_uint_eq(cd[0].text.len, 36);
    ck_assert_mem_eq(cd[0].text.data, "include inc.conf;\ninclude inc.conf;\n",
                     36);

    snprintf(want, sizeof(want), "%sconf/inc.conf", u->prefix);
    ck_assert_str_eq((char *) cd[1].name.data, want);
    ck_assert_uint_eq(cd[1].text.len, 12);
    ck_assert_mem_eq(cd[1].text.data, "t_record x;\n", 12);
}
END_TEST


/* ---- -g ------------------------------------------------------------- */

START_TEST(test_param)
{
    wd_str_set(&u->cycle->conf_param, "daemon off; worker_processes 3;");
    ck_assert_ptr_eq(wd_conf_param(&u->cf), WD_CONF_OK);
    ck_assert_str_eq(wd_unit_log(u), "");
    ck_assert_int_eq(ccf()->daemon, 0);
    ck_assert_int_eq(ccf()->worker_processes, 3);

    /* the file comes after -g: a repeat there is a duplicate */
    ck_assert_ptr_eq(wd_unit_parse(u, "\ndaemon on;\n"), WD_CONF_ERROR);
    wd_unit_log_is(u, "[emerg] \"daemon\" directive is duplicate in %s%s:2\n",
                   u->prefix, MAIN_CONF);

    /* an empty -g is nothing at all */
    teardown();
    setup();
    ck_assert_ptr_eq(wd_conf_param(&u->cf), WD_CONF_OK);
    ck_assert_str_eq(wd_unit_log(u), "");
}
END_TEST

START_TEST(test_param_errors)
{
    char msg[600];

    param_error("foo;", "unknown directive \"foo\"");
    param_error("daemon on", "unexpected end of parameter, expecting \";\"");
    param_error("daemon on; daemon", "unexpected end of parameter, "
                "expecting \";\"");
    param_error("daemon \"on", "unexpected end of parameter, expecting \";\"");
    param_error("events {}", "block directives are not supported in -g "
                "option");
    param_error("}", "unexpected \"}\"");
    param_error(";", "unexpected \";\"");
    param_error("daemon on; daemon off;", "\"daemon\" directive is duplicate");
    param_error("daemon maybe;", "invalid value \"maybe\" in \"daemon\" "
                "directive, it must be \"on\" or \"off\"");
    param_error("worker_connections 1;",
                "\"worker_connections\" directive is not allowed here");

    teardown();
    setup();
    snprintf(msg, sizeof(msg), "open() \"%sconf/x.conf\" failed "
             "(2: No such file or directory)", u->prefix);
    wd_str_set(&u->cycle->conf_param, "include x.conf;");
    ck_assert_ptr_eq(wd_conf_param(&u->cf), WD_CONF_ERROR);
    wd_unit_log_is(u, "[emerg] %s in command line\n", msg);
}
END_TEST

START_TEST(test_param_include)
{
    /* an included file's own errors name that file, not the command line */
    wd_unit_write(u, "conf/p.conf", "\nfoo;\n");
    wd_str_set(&u->cycle->conf_param, "include p.conf;");
    ck_assert_ptr_eq(wd_conf_param(&u->cf), WD_CONF_ERROR);
    wd_unit_log_is(u, "[emerg] unknown directive \"foo\" in %sconf/p.conf:2\n",
                   u->prefix);
}
END_TEST


/* ---- tokens --------------------------------------------------------- */

START_TEST(test_words_quotes)
{
    ck_assert_str_eq(words("a \"b c\" 'd e';"), "<a><b c><d e>;");
    ck_assert_str_eq(words("\"\" '';"), "<><>;");
    ck_assert_str_eq(words("\"daemon\" 'on';"), "<daemon><on>;");
    ck_assert_str_eq(words("a \"x\ny\";"), "<a><x\ny>;");
    ck_assert_str_eq(words("a \"it's\" 'say \"hi\"';"),
                     "<a><it's><say \"hi\">;");
    /* quotes inside a word are literal */
    ck_assert_str_eq(words("a\"b\" c'd';"), "<a\"b\"><c'd'>;");
    /* a quoted word may be followed by ";", "{" or whitespace */
    ck_assert_str_eq(words("\"a\";'b'\t;"), "<a>;<b>;");
    /* ")" right after a quote starts a word of its own: if ($a = "b") */
    ck_assert_str_eq(words("if ($a = \"b\");"), "<if><($a><=><b><)>;");
    ck_assert_str_eq(words("if ($a = \"b\") ;"), "<if><($a><=><b><)>;");
}
END_TEST

START_TEST(test_words_escapes)
{
    ck_assert_str_eq(words("\"a\\\"b\";"), "<a\"b>;");
    ck_assert_str_eq(words("'a\\'b';"), "<a'b>;");
    ck_assert_str_eq(words("\"a\\\\b\";"), "<a\\b>;");
    ck_assert_str_eq(words("\"a\\tb\\nc\\rd\";"), "<a\tb\nc\rd>;");
    ck_assert_str_eq(words("a\\tb;"), "<a\tb>;");
    /* an unknown escape is kept as it is */
    ck_assert_str_eq(words("\"a\\qb\";"), "<a\\qb>;");
    ck_assert_str_eq(words("a\\$b;"), "<a\\$b>;");
    /* a backslash protects the next byte from ending the word */
    ck_assert_str_eq(words("a\\ b;"), "<a\\ b>;");
    ck_assert_str_eq(words("a\\;b;"), "<a\\;b>;");
    ck_assert_str_eq(words("\\;x;"), "<\\;x>;");
    ck_assert_str_eq(words("a\\\"b;"), "<a\"b>;");
    ck_assert_str_eq(words("a\\\\;"), "<a\\>;");
    ck_assert_str_eq(words("\\\"a\\\";"), "<\"a\">;");
}
END_TEST

START_TEST(test_words_variables)
{
    ck_assert_str_eq(words("x${var}y;"), "<x${var}y>;");
    ck_assert_str_eq(words("${var};"), "<${var}>;");
    ck_assert_str_eq(words("\"${var}\" '${v}';"), "<${var}><${v}>;");
    ck_assert_str_eq(words("$var;"), "<$var>;");
    ck_assert_str_eq(words("a$b${c}d$e;"), "<a$b${c}d$e>;");
    /* whitespace inside ${ } still splits the word */
    ck_assert_str_eq(words("${a b};"), "<${a><b}>;");
    /* "$$" then "{": still a variable brace */
    ck_assert_str_eq(words("$${x};"), "<$${x}>;");
}
END_TEST

START_TEST(test_words_literal_braces_and_hash)
{
    ck_assert_str_eq(words("a}b;"), "<a}b>;");
    ck_assert_str_eq(words("a#b;"), "<a#b>;");
    ck_assert_str_eq(words("a b#c};"), "<a><b#c}>;");
    ck_assert_str_eq(words("a \"#\" '}';"), "<a><#><}>;");
}
END_TEST

START_TEST(test_words_comments)
{
    ck_assert_str_eq(words("# c ; { } \" '\na b; # trailing\n# last"),
                     "<a><b>;");
    /* a comment swallows the rest of the line, ";" included */
    ck_assert_str_eq(words("a # comment ;\n b;"), "<a><b>;");
    ck_assert_str_eq(words("a;#c\nb;"), "<a>;<b>;");
    ck_assert_str_eq(words("#"), "");
    ck_assert_str_eq(words(""), "");
    ck_assert_str_eq(words("  \t\r\n "), "");
}
END_TEST

START_TEST(test_words_separators)
{
    ck_assert_str_eq(words("a;b;c;"), "<a>;<b>;<c>;");
    ck_assert_str_eq(words("a\tb\t;"), "<a><b>;");
    ck_assert_str_eq(words("a b;\r\nc;\r\n"), "<a><b>;<c>;");
    ck_assert_str_eq(words("\n\n  a\n\n  b\n;\n"), "<a><b>;");
    ck_assert_str_eq(words("a\rb;"), "<a><b>;");
    /* other bytes, NUL and non-ASCII included, are word bytes */
    ck_assert_str_eq(words("a\0b c\xff\x01;"), "<a\\0b><c\xff\x01>;");
    ck_assert_str_eq(words("\xc3\xa9t\xc3\xa9 \"\xe2\x82\xac\";"),
                     "<\xc3\xa9t\xc3\xa9><\xe2\x82\xac>;");
}
END_TEST

START_TEST(test_line_numbers)
{
    bad_conf("pid \"a\nb\";\n# x\nfoo;\n", "unknown directive \"foo\"", 4);
    bad_conf("daemon on;\r\n\r\nfoo;\r\n", "unknown directive \"foo\"", 3);
    bad_conf("daemon on;\rfoo;", "unknown directive \"foo\"", 1);
    bad_conf("# \"unclosed\n# '\nfoo;", "unknown directive \"foo\"", 3);
    bad_conf("pid a\\\nb;\nfoo;", "unknown directive \"foo\"", 3);
    bad_conf("pid 'a\\\n';\n\nfoo;", "unknown directive \"foo\"", 4);
}
END_TEST


/* ---- custom block handlers (types { }, map { }) ---------------------- */

static char *
failing_handler(wd_conf_t *cf, wd_command_t *dummy, void *conf)
{
    wd_str_t *value = cf->args->elts;

    if (wd_strcmp(value[0].data, "bad") == 0) {
        return "bad line here";
    }

    if (wd_strcmp(value[0].data, "logged") == 0) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0, "already said");
        return WD_CONF_ERROR;
    }

    record_args(cf, 0);

    return WD_CONF_OK;
}

START_TEST(test_custom_handler)
{
    u->cf.handler = failing_handler;

    conf_error("a b;\nc {\n", "unexpected \"{\"", 2);
    ck_assert_str_eq(record, "<a><b>;");

    conf_error("a;\n\nbad x;\n", "bad line here", 3);
    conf_error("logged;\n", "already said", 1);

    /* the handler sees every directive, even names of real directives */
    record[0] = '\0';
    conf_ok("daemon on; events;\n");
    ck_assert_str_eq(record, "<daemon><on>;<events>;");
    ck_assert_int_eq(ccf()->daemon, WD_CONF_UNSET);
}
END_TEST


/* ---- nesting -------------------------------------------------------- */

static char *
nested_blocks(int depth)
{
    char *text;
    int i;

    text = malloc(depth * 12 + 32);
    ck_assert_ptr_nonnull(text);
    text[0] = '\0';

    for (i = 0; i < depth; i++) {
        strcat(text, "t_block {\n");
    }

    strcat(text, "t_record x;\n");

    for (i = 0; i < depth; i++) {
        strcat(text, "}\n");
    }

    return text;
}

START_TEST(test_blocks_nested_too_deeply)
{
    char *text;

    text = nested_blocks(WD_CONF_MAX_DEPTH);
    conf_ok(text);
    ck_assert_str_eq(record, "<t_record><x>;");
    ck_assert_uint_eq(u->cf.depth, 0);
    free(text);

    text = nested_blocks(WD_CONF_MAX_DEPTH + 1);
    conf_error(text, "blocks are nested too deeply", WD_CONF_MAX_DEPTH + 1);
    free(text);

    /* the depth is restored after an error, too */
    ck_assert_uint_eq(u->cf.depth, 0);
    ck_assert_uint_eq(u->cf.include_depth, 0);
}
END_TEST

START_TEST(test_nested_blocks_recover_context)
{
    conf_ok("t_block a {\n t_block {\n }\n t_record in;\n}\nt_record out;\n");
    ck_assert_str_eq(record, "<t_record><in>;<t_record><out>;");
}
END_TEST


/* ---- the events block and the core modules' hooks ------------------- */

START_TEST(test_events_block)
{
    wd_event_conf_t *ecf;
    void ***ctx;

    conf_ok("events {\n    worker_connections 100;\n    use epoll;\n"
            "    accept_mutex on;\n    accept_mutex_delay 100ms;\n}\n");

    ctx = u->cycle->conf_ctx[wd_events_module.index];
    ck_assert_ptr_nonnull(ctx);
    ecf = (*ctx)[wd_event_core_module.ctx_index];
    ck_assert_uint_eq(ecf->connections, 100);
    ck_assert_uint_eq(ecf->use, wd_epoll_module.ctx_index);
    ck_assert_int_eq(ecf->accept_mutex, 1);
    ck_assert_uint_eq(ecf->accept_mutex_delay, 100);
    ck_assert_int_eq(ecf->multi_accept, 0);     /* init_conf ran */
    ck_assert_uint_eq(u->cycle->connection_n, 100);

    teardown();
    setup();
    bad_conf("events {\n    use kqueue;\n}\n",
               "invalid event type \"kqueue\"", 2);
    bad_conf("events {\n    use event_core;\n}\n",
               "invalid event type \"event_core\"", 2);

    teardown();
    setup();
    bad_conf("events {\n  worker_connections x;\n}\n",
               "invalid number \"x\"", 2);
}
END_TEST

START_TEST(test_no_events_section)
{
    conf_ok("daemon on;\n");
    ck_assert_int_eq(wd_unit_init_confs(u), WD_ERROR);
    ck_assert_str_eq(wd_unit_log(u),
                     "[emerg] no \"events\" section in configuration\n");

    teardown();
    setup();
    conf_ok("events {}\n");
    ck_assert_int_eq(wd_unit_init_confs(u), WD_OK);
    ck_assert_str_eq(wd_unit_log(u), "");
    ck_assert_int_eq(ccf()->daemon, 1);
    ck_assert_int_eq(ccf()->worker_processes, 1);
}
END_TEST


/* ---- full names and open files -------------------------------------- */

START_TEST(test_full_name)
{
    wd_str_t name, prefix = wd_string("/p/");

    wd_str_set(&name, "/abs/x");
    ck_assert_int_eq(wd_get_full_name(u->cycle->pool, &prefix, &name), WD_OK);
    ck_assert_str_eq((char *) name.data, "/abs/x");

    wd_str_set(&name, "rel/x");
    ck_assert_int_eq(wd_get_full_name(u->cycle->pool, &prefix, &name), WD_OK);
    ck_assert_uint_eq(name.len, 8);
    ck_assert_str_eq((char *) name.data, "/p/rel/x");

    wd_str_set(&name, "x.conf");
    ck_assert_int_eq(wd_conf_full_name(u->cycle, &name, 1), WD_OK);
    ck_assert_uint_eq(name.len, strlen(u->prefix) + 11);
    ck_assert_mem_eq(name.data + strlen(u->prefix), "conf/x.conf", 11);

    wd_str_set(&name, "logs/e.log");
    ck_assert_int_eq(wd_conf_full_name(u->cycle, &name, 0), WD_OK);
    ck_assert_mem_eq(name.data, u->prefix, strlen(u->prefix));
    ck_assert_str_eq((char *) name.data + strlen(u->prefix), "logs/e.log");
}
END_TEST

START_TEST(test_open_file)
{
    wd_str_t a = wd_string("logs/a.log"), b = wd_string("logs/b.log");
    wd_str_t a2, empty = wd_null_string;
    wd_open_file_t *fa, *fb, *fe;

    fa = wd_conf_open_file(u->cycle, &a);
    fb = wd_conf_open_file(u->cycle, &b);
    ck_assert_ptr_nonnull(fa);
    ck_assert_ptr_nonnull(fb);
    ck_assert_ptr_ne(fa, fb);
    ck_assert_int_eq(fa->fd, WD_INVALID_FD);

    /* the same name, relative or absolute, is the same file */
    a2.len = strlen(u->prefix) + a.len;
    a2.data = wd_pnalloc(u->cycle->pool, a2.len + 1);
    snprintf((char *) a2.data, a2.len + 1, "%slogs/a.log", u->prefix);
    ck_assert_ptr_eq(wd_conf_open_file(u->cycle, &a2), fa);
    ck_assert_ptr_eq(wd_conf_open_file(u->cycle, &a), fa);

    fe = wd_conf_open_file(u->cycle, &empty);
    ck_assert_int_eq(fe->fd, STDERR_FILENO);
    ck_assert_ptr_eq(wd_conf_open_file(u->cycle, &empty), fe);
}
END_TEST

START_TEST(test_log_error_without_file)
{
    /* outside any file (init_conf hooks) there is no location */
    wd_conf_log_error(WD_LOG_ERR, &u->cf, 0, "plain %d", 1);
    wd_conf_log_error(WD_LOG_WARN, &u->cf, WD_ENOENT, "with errno");
    ck_assert_str_eq(wd_unit_log(u), "[error] plain 1\n[warn] with errno "
                     "(2: No such file or directory)\n");

    /* below the log's level nothing is written */
    u->log.log_level = WD_LOG_ERR;
    wd_conf_log_error(WD_LOG_WARN, &u->cf, 0, "hidden");
    ck_assert_str_eq(wd_unit_log(u), "");
}
END_TEST


static Suite *
conf_file_suite(void)
{
    Suite *s;
    TCase *tc;

    s = suite_create("wd_conf_file");

    tc = tcase_create("dispatch");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_unknown_directive);
    tcase_add_test(tc, test_not_allowed_here);
    tcase_add_test(tc, test_invalid_number_of_arguments);
    tcase_add_test(tc, test_argument_counts_accepted);
    tcase_add_test(tc, test_duplicate_directive);
    tcase_add_test(tc, test_duplicate_slots);
    suite_add_tcase(s, tc);

    tc = tcase_create("values");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_flag_values);
    tcase_add_test(tc, test_number_values);
    tcase_add_test(tc, test_size_values);
    tcase_add_test(tc, test_time_values);
    tcase_add_test(tc, test_enum_and_bitmask_values);
    tcase_add_test(tc, test_bufs_values);
    tcase_add_test(tc, test_access_values);
    tcase_add_test(tc, test_path_values);
    tcase_add_test(tc, test_bounds_and_deprecated);
    tcase_add_test(tc, test_string_slots);
    suite_add_tcase(s, tc);

    tc = tcase_create("grammar");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_unexpected_close_brace);
    tcase_add_test(tc, test_unexpected_semicolon);
    tcase_add_test(tc, test_unexpected_open_brace);
    tcase_add_test(tc, test_unexpected_end_of_file);
    tcase_add_test(tc, test_unterminated_quotes);
    tcase_add_test(tc, test_text_after_quote);
    tcase_add_test(tc, test_not_terminated_and_no_opening);
    tcase_add_test(tc, test_line_numbers);
    tcase_add_test(tc, test_custom_handler);
    suite_add_tcase(s, tc);

    tc = tcase_create("tokens");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_words_quotes);
    tcase_add_test(tc, test_words_escapes);
    tcase_add_test(tc, test_words_variables);
    tcase_add_test(tc, test_words_literal_braces_and_hash);
    tcase_add_test(tc, test_words_comments);
    tcase_add_test(tc, test_words_separators);
    suite_add_tcase(s, tc);

    tc = tcase_create("include");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_include_missing_file);
    tcase_add_test(tc, test_include_directory);
    tcase_add_test(tc, test_include_glob);
    tcase_add_test(tc, test_include_error_location);
    tcase_add_test(tc, test_include_in_events);
    tcase_add_test(tc, test_include_nested_too_deeply);
    tcase_add_test(tc, test_include_special_files);
    tcase_add_test(tc, test_include_fifo);
    tcase_add_test(tc, test_file_too_large);
    tcase_add_test(tc, test_config_dump);
    suite_add_tcase(s, tc);

    tc = tcase_create("param");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_param);
    tcase_add_test(tc, test_param_errors);
    tcase_add_test(tc, test_param_include);
    suite_add_tcase(s, tc);

    tc = tcase_create("nesting");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_blocks_nested_too_deeply);
    tcase_add_test(tc, test_nested_blocks_recover_context);
    suite_add_tcase(s, tc);

    tc = tcase_create("modules");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_events_block);
    tcase_add_test(tc, test_no_events_section);
    tcase_add_test(tc, test_full_name);
    tcase_add_test(tc, test_open_file);
    tcase_add_test(tc, test_log_error_without_file);
    suite_add_tcase(s, tc);

    return s;
}

WD_UNIT_MAIN(conf_file_suite)
