/*
 * Unit tests of src/core/wd_core_module.c: the main-level directives'
 * setters, the defaults init_conf applies, the worker environment and
 * CPU affinity.
 */

#include "../wd_unit.h"

static wd_unit_conf_t *u;

#define ccf() ((wd_core_conf_t *) u->cycle->conf_ctx[wd_core_module.index])

static void
setup(void)
{
    u = wd_unit_conf_create();
}

static void
teardown(void)
{
    wd_unit_conf_destroy(u);
}

static void
fresh(void)
{
    teardown();
    setup();
}

#define conf_ok(text)                                                          \
    do {                                                                       \
        ck_assert_ptr_eq(wd_unit_parse(u, text), WD_CONF_OK);                  \
        ck_assert_str_eq(wd_unit_log(u), "");                                  \
    } while (0)

#define bad_conf(text, msg)                                                    \
    do {                                                                       \
        fresh();                                                               \
        ck_assert_ptr_eq(wd_unit_parse(u, text), WD_CONF_ERROR);               \
        wd_unit_log_is(u, "[emerg] %s in %sconf/warden.conf:1\n", msg,        \
                       u->prefix);                                             \
    } while (0)

START_TEST(test_worker_processes)
{
    conf_ok("worker_processes auto;\n");
    ck_assert_int_eq(ccf()->worker_processes, (wd_int_t) wd_ncpu);
    ck_assert_int_gt(ccf()->worker_processes, 0);

    fresh();
    conf_ok("worker_processes 16;\n");
    ck_assert_int_eq(ccf()->worker_processes, 16);

    bad_conf("worker_processes x;\n",
             "\"worker_processes\" directive invalid value");
    bad_conf("worker_processes -1;\n",
             "\"worker_processes\" directive invalid value");
    bad_conf("worker_processes AUTO;\n",
             "\"worker_processes\" directive invalid value");
}
END_TEST

START_TEST(test_worker_priority)
{
    static const struct {
        const char *value;
        int want;
    } good[] = {
        { "-5", -5 }, { "+3", 3 }, { "0", 0 }, { "19", 19 }, { "-20", -20 },
        /* as nginx: out of range values go to setpriority(), which clamps */
        { "20", 20 }, { "-21", -21 },
    };
    static const char *bad[] = {
        "abc", "-", "+", "--1", "1x", "",
        /* bug: these were cut to an int first, and 2^32 + 5 became 5 */
        "4294967301", "-4294967316", "9223372036854775807",
    };
    char text[64];
    size_t i;

    for (i = 0; i < wd_nelems(good); i++) {
        fresh();
        snprintf(text, sizeof(text), "worker_priority \"%s\";\n",
                 good[i].value);
        conf_ok(text);
        ck_assert_int_eq(ccf()->priority, good[i].want);
    }

    for (i = 0; i < wd_nelems(bad); i++) {
        snprintf(text, sizeof(text), "worker_priority \"%s\";\n", bad[i]);
        bad_conf(text, "\"worker_priority\" directive invalid number");
        ck_assert_int_eq(ccf()->priority, 0);
    }
}
END_TEST

START_TEST(test_cpu_affinity)
{
    cpu_set_t *m;
    int i;

    conf_ok("worker_cpu_affinity 0101 1010;\n");
    ck_assert_uint_eq(ccf()->cpu_affinity_n, 2);
    ck_assert_uint_eq(ccf()->cpu_affinity_auto, 0);
    m = ccf()->cpu_affinity;
    ck_assert(CPU_ISSET(0, &m[0]) && CPU_ISSET(2, &m[0]));
    ck_assert(!CPU_ISSET(1, &m[0]) && !CPU_ISSET(3, &m[0]));
    ck_assert(CPU_ISSET(1, &m[1]) && CPU_ISSET(3, &m[1]));
    ck_assert_int_eq(CPU_COUNT(&m[1]), 2);

    fresh();
    conf_ok("worker_cpu_affinity auto;\n");
    ck_assert_uint_eq(ccf()->cpu_affinity_auto, 1);
    ck_assert_uint_eq(ccf()->cpu_affinity_n, 1);
    ck_assert_int_eq(CPU_COUNT(&ccf()->cpu_affinity[0]), CPU_SETSIZE);

    fresh();
    conf_ok("worker_cpu_affinity auto 01010101;\n");
    ck_assert_uint_eq(ccf()->cpu_affinity_auto, 1);
    ck_assert_uint_eq(ccf()->cpu_affinity_n, 1);
    m = ccf()->cpu_affinity;

    for (i = 0; i < 8; i++) {
        ck_assert_int_eq(CPU_ISSET(i, &m[0]) != 0, i % 2 == 0);
    }

    bad_conf("worker_cpu_affinity 01x;\n",
             "invalid character \"x\" in \"worker_cpu_affinity\"");
    bad_conf("worker_cpu_affinity auto 01 10;\n",
             "\"worker_cpu_affinity\" directive invalid number of arguments");
}
END_TEST

START_TEST(test_cpu_affinity_too_many_cpus)
{
    char *text;
    char msg[128];

    text = malloc(CPU_SETSIZE + 64);
    strcpy(text, "worker_cpu_affinity 1");
    memset(text + strlen(text), '0', CPU_SETSIZE);
    strcpy(text + strlen("worker_cpu_affinity 1") + CPU_SETSIZE, ";\n");

    snprintf(msg, sizeof(msg), "\"worker_cpu_affinity\" supports up to %d "
             "CPUs only", CPU_SETSIZE);
    bad_conf(text, msg);
    free(text);
}
END_TEST

START_TEST(test_get_cpu_affinity)
{
    cpu_set_t *set;
    wd_uint_t ncpu = wd_ncpu;

    wd_cycle = u->cycle;
    ck_assert_ptr_null(wd_get_cpu_affinity(0));

    conf_ok("worker_cpu_affinity 0001 0010 0100;\n");
    ck_assert(CPU_ISSET(0, wd_get_cpu_affinity(0)));
    ck_assert(CPU_ISSET(1, wd_get_cpu_affinity(1)));
    ck_assert(CPU_ISSET(2, wd_get_cpu_affinity(2)));
    /* more workers than masks: the last mask repeats */
    ck_assert(CPU_ISSET(2, wd_get_cpu_affinity(7)));

    /* auto: the n-th allowed CPU, wrapping over those there are */
    fresh();
    wd_cycle = u->cycle;
    conf_ok("worker_cpu_affinity auto 0101;\n");
    wd_ncpu = 4;
    set = wd_get_cpu_affinity(0);
    ck_assert(CPU_ISSET(0, set) && CPU_COUNT(set) == 1);
    set = wd_get_cpu_affinity(1);
    ck_assert(CPU_ISSET(2, set) && CPU_COUNT(set) == 1);
    set = wd_get_cpu_affinity(2);
    ck_assert(CPU_ISSET(0, set) && CPU_COUNT(set) == 1);

    /* no allowed CPU among those the machine has */
    wd_ncpu = 1;
    fresh();
    wd_cycle = u->cycle;
    conf_ok("worker_cpu_affinity auto 10;\n");
    ck_assert_ptr_null(wd_get_cpu_affinity(0));

    wd_cycle = NULL;
    wd_ncpu = ncpu;
}
END_TEST

START_TEST(test_env)
{
    wd_str_t *var;
    char **env, **e;
    int found_a, found_keep;

    setenv("WD_UNIT_KEEP", "kept", 1);
    unsetenv("WD_UNIT_DROP");

    conf_ok("env A=b;\nenv WD_UNIT_KEEP;\nenv WD_UNIT_MISSING;\n"
            "env \"C=x=y\";\n");
    ck_assert_uint_eq(ccf()->env.nelts, 4);
    var = ccf()->env.elts;
    ck_assert_uint_eq(var[0].len, 1);
    ck_assert_str_eq((char *) var[0].data, "A=b");
    ck_assert_uint_eq(var[1].len, 12);
    ck_assert_uint_eq(var[3].len, 1);

    env = wd_set_environment(u->cycle, NULL);
    ck_assert_ptr_nonnull(env);
    found_a = found_keep = 0;

    for (e = env; *e; e++) {
        found_a += (strcmp(*e, "A=b") == 0);
        found_keep += (strcmp(*e, "WD_UNIT_KEEP=kept") == 0);
        ck_assert(strncmp(*e, "WD_UNIT_MISSING", 15) != 0);
        ck_assert(strncmp(*e, "HOME=", 5) != 0);
    }

    ck_assert_int_eq(found_a, 1);
    ck_assert_int_eq(found_keep, 1);
    wd_free(env);
}
END_TEST

START_TEST(test_user)
{
    struct passwd *pw;
    struct group *gr;

    if (geteuid() != 0) {
        ck_assert_ptr_eq(wd_unit_parse(u, "user nobody;\n"), WD_CONF_OK);
        wd_unit_log_is(u, "[warn] the \"user\" directive makes sense only if "
                       "the master process runs with super-user "
                       "privileges, ignored in %sconf/warden.conf:1\n",
                       u->prefix);
        return;
    }

    pw = getpwnam("nobody");
    gr = getgrnam("nogroup");

    if (pw == NULL || gr == NULL) {
        return;
    }

    conf_ok("user nobody nogroup;\n");
    ck_assert_uint_eq(ccf()->user, pw->pw_uid);
    ck_assert_uint_eq(ccf()->group, gr->gr_gid);
    ck_assert_str_eq(ccf()->username, "nobody");

    bad_conf("user no_such_user_here;\n",
             "getpwnam(\"no_such_user_here\") failed");
    bad_conf("user nobody no_such_group_here;\n",
             "getgrnam(\"no_such_group_here\") failed");
    bad_conf("user nobody nogroup x;\n",
             "invalid number of arguments in \"user\" directive");
}
END_TEST

START_TEST(test_strings_and_load_module)
{
    conf_ok("pid run/w.pid;\nlock_file run/w.lock;\n"
            "working_directory /tmp/cores;\ndebug_points abort;\n"
            "pcre_jit off;\n");
    ck_assert_str_eq((char *) ccf()->pid.data, "run/w.pid");
    ck_assert_str_eq((char *) ccf()->lock_file.data, "run/w.lock");
    ck_assert_str_eq((char *) ccf()->working_directory.data, "/tmp/cores");
    ck_assert_int_eq(ccf()->debug_points, WD_DEBUG_POINTS_ABORT);
    ck_assert_int_eq(ccf()->pcre_jit, 0);

    fresh();
    ck_assert_ptr_eq(wd_unit_parse(u, "load_module modules/m.so;\n"),
                     WD_CONF_OK);
    wd_unit_log_is(u, "[warn] \"load_module\" is ignored: warden has no "
                   "dynamic modules, \"modules/m.so\" is not loaded in "
                   "%sconf/warden.conf:1\n", u->prefix);
}
END_TEST

START_TEST(test_init_conf_defaults)
{
    char want[512];

    conf_ok("events {}\n");
    ck_assert_int_eq(wd_unit_init_confs(u), WD_OK);
    ck_assert_str_eq(wd_unit_log(u), "");

    ck_assert_int_eq(ccf()->daemon, 1);
    ck_assert_int_eq(ccf()->master, 1);
    ck_assert_int_eq(ccf()->worker_processes, 1);
    ck_assert_int_eq(ccf()->debug_points, 0);
    ck_assert_int_eq(ccf()->pcre_jit, 1);
    ck_assert_uint_eq(ccf()->timer_resolution, 0);
    ck_assert_uint_eq(ccf()->shutdown_timeout, 0);

    snprintf(want, sizeof(want), "%s%s", u->prefix, WD_PID_PATH);
    ck_assert_str_eq((char *) ccf()->pid.data, want);
    strcat(want, ".oldbin");
    ck_assert_str_eq((char *) ccf()->oldpid.data, want);
    ck_assert_uint_eq(ccf()->oldpid.len, strlen(want));

    /* an absolute pid path stays as it is */
    fresh();
    conf_ok("events {}\npid /run/w.pid;\n");
    ck_assert_int_eq(wd_unit_init_confs(u), WD_OK);
    ck_assert_str_eq((char *) ccf()->oldpid.data, "/run/w.pid.oldbin");
}
END_TEST

START_TEST(test_init_conf_affinity_warning)
{
    conf_ok("events {}\nworker_processes 3;\nworker_cpu_affinity 01 10;\n");
    ck_assert_int_eq(wd_unit_init_confs(u), WD_OK);
    ck_assert_str_eq(wd_unit_log(u),
                     "[warn] the number of \"worker_processes\" "
                     "is not equal to the number of \"worker_cpu_affinity\" "
                     "masks, using last mask for remaining worker processes\n");

    /* one mask for all workers is fine */
    fresh();
    conf_ok("events {}\nworker_processes 3;\nworker_cpu_affinity 01;\n");
    ck_assert_int_eq(wd_unit_init_confs(u), WD_OK);
    ck_assert_str_eq(wd_unit_log(u), "");
}
END_TEST

static Suite *
core_module_suite(void)
{
    Suite *s;
    TCase *tc;

    s = suite_create("wd_core_module");

    tc = tcase_create("directives");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_worker_processes);
    tcase_add_test(tc, test_worker_priority);
    tcase_add_test(tc, test_cpu_affinity);
    tcase_add_test(tc, test_cpu_affinity_too_many_cpus);
    tcase_add_test(tc, test_get_cpu_affinity);
    tcase_add_test(tc, test_env);
    tcase_add_test(tc, test_user);
    tcase_add_test(tc, test_strings_and_load_module);
    tcase_add_test(tc, test_init_conf_defaults);
    tcase_add_test(tc, test_init_conf_affinity_warning);
    suite_add_tcase(s, tc);

    return s;
}

WD_UNIT_MAIN(core_module_suite)
