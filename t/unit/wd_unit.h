/*
 * Helpers shared by the Check unit tests under t/unit/.  Each test
 * program includes this once (it is not a library: everything here is
 * static).
 *
 *   wd_unit_init()          the process set-up main() does before it
 *                           builds a cycle (time, pid, OS, modules)
 *   wd_unit_conf_create()   a temporary prefix directory, a cycle built
 *                           the way wd_init_cycle starts one, and a
 *                           parser context (wd_conf_t) for the main
 *                           level whose error log is a file
 *   wd_unit_log()           the error-log lines written since the last
 *                           call, each checked against nginx's line
 *                           format and returned as "[level] message\n"
 *   WD_UNIT_MAIN(suite)     a main() that exits non-zero on failure
 *
 * Everything a test creates is released by wd_unit_conf_destroy(), so
 * LeakSanitizer stays quiet in --with-sanitizers builds.
 */

#ifndef WD_UNIT_H
#define WD_UNIT_H

#include <wd_core.h>
#include <wd_event.h>
#include <wd_os.h>

#include <check.h>
#include <ftw.h>
#include <regex.h>

#define WD_UNIT_FN static __attribute__((unused))

/* Room for test-only modules appended after the built-in ones. */
#define WD_UNIT_EXTRA_MODULES 4

typedef struct {
    char prefix[256];           /* the temporary prefix, ends with '/' */
    wd_cycle_t *cycle;
    wd_conf_t cf;               /* main level, core modules */
    wd_log_t log;               /* cf.log and cycle->log */
    wd_open_file_t log_file;
    char log_path[300];
    off_t log_read;             /* how much wd_unit_log() has returned */
    char *log_text;             /* the last result of wd_unit_log() */
} wd_unit_conf_t;

static wd_log_t wd_unit_stderr_log;
static wd_open_file_t wd_unit_stderr_file;

/* What main() does before it builds the first cycle.  Call once, from
 * main(), before the tests fork. */
WD_UNIT_FN void
wd_unit_init(void)
{
    wd_unit_stderr_file.fd = STDERR_FILENO;
    wd_unit_stderr_log.file = &wd_unit_stderr_file;
    wd_unit_stderr_log.log_level = WD_LOG_NOTICE;

    wd_time_init();
    wd_pid = getpid();
    wd_parent = getppid();

    /* messages go to the log file a test reads, not to the terminal */
    wd_use_stderr = 0;

    /* not ck_assert: Check allows that only inside a test */
    if (wd_os_init(&wd_unit_stderr_log) != WD_OK
        || wd_preinit_modules() != WD_OK)
    {
        fprintf(stderr, "wd_unit_init: process set-up failed\n");
        exit(EXIT_FAILURE);
    }
}

/* A log for tests that need one but do not read it. */
WD_UNIT_FN wd_log_t *
wd_unit_quiet_log(void)
{
    static wd_open_file_t file = { WD_INVALID_FD, { 0, NULL }, NULL, NULL };
    static wd_log_t log;

    log.file = &file;
    log.log_level = WD_LOG_EMERG;

    return &log;
}

WD_UNIT_FN void
wd_unit_str(wd_pool_t *pool, wd_str_t *dst, const char *src)
{
    ck_assert_int_eq(wd_pstrdupz(pool, dst, (u_char *) src, strlen(src)),
                     WD_OK);
}

/* The lists and arrays wd_init_cycle sets up before reading the conf. */
WD_UNIT_FN void
wd_unit_cycle_lists(wd_cycle_t *cycle)
{
    wd_pool_t *pool = cycle->pool;

    ck_assert_int_eq(wd_array_init(&cycle->paths, pool, 10,
                                   sizeof(wd_path_t *)), WD_OK);
    ck_assert_int_eq(wd_list_init(&cycle->open_files, pool, 20,
                                  sizeof(wd_open_file_t)), WD_OK);
    ck_assert_int_eq(wd_list_init(&cycle->shared_memory, pool, 1,
                                  sizeof(wd_shm_zone_t)), WD_OK);
    ck_assert_int_eq(wd_array_init(&cycle->listening, pool, 10,
                                   sizeof(wd_listening_t)), WD_OK);
    wd_queue_init(&cycle->reusable_connections_queue);
}

/* cycle->modules and the core modules' confs, as wd_init_cycle makes
 * them, with room for test modules (wd_unit_add_module). */
WD_UNIT_FN void
wd_unit_cycle_modules(wd_cycle_t *cycle)
{
    wd_uint_t i;
    wd_core_module_t *module;

    cycle->modules = wd_pcalloc(cycle->pool,
                                (wd_max_module + WD_UNIT_EXTRA_MODULES + 1)
                                    * sizeof(wd_module_t *));
    ck_assert_ptr_nonnull(cycle->modules);
    memcpy(cycle->modules, wd_modules, wd_max_module * sizeof(wd_module_t *));
    cycle->modules_n = wd_max_module;

    cycle->conf_ctx = wd_pcalloc(cycle->pool,
                                 (wd_max_module + WD_UNIT_EXTRA_MODULES)
                                     * sizeof(void *));
    ck_assert_ptr_nonnull(cycle->conf_ctx);

    for (i = 0; cycle->modules[i]; i++) {
        if (cycle->modules[i]->type != WD_CORE_MODULE) {
            continue;
        }

        module = cycle->modules[i]->ctx;

        if (module->create_conf) {
            cycle->conf_ctx[cycle->modules[i]->index] =
                module->create_conf(cycle);
            ck_assert_ptr_nonnull(cycle->conf_ctx[cycle->modules[i]->index]);
        }
    }
}

/* Appends a test-only module; a core module gets its conf created. */
WD_UNIT_FN void
wd_unit_add_module(wd_unit_conf_t *u, wd_module_t *m)
{
    wd_cycle_t *cycle = u->cycle;
    wd_core_module_t *ctx;

    ck_assert_uint_lt(cycle->modules_n, wd_max_module + WD_UNIT_EXTRA_MODULES);

    m->index = cycle->modules_n;
    m->name = "unit_test_module";
    cycle->modules[cycle->modules_n++] = m;

    if (m->type == WD_CORE_MODULE && m->ctx) {
        ctx = m->ctx;

        if (ctx->create_conf) {
            cycle->conf_ctx[m->index] = ctx->create_conf(cycle);
            ck_assert_ptr_nonnull(cycle->conf_ctx[m->index]);
        }
    }
}

/* Writes text into PREFIX/rel, creating the directories on the way. */
WD_UNIT_FN void
wd_unit_write_len(wd_unit_conf_t *u, const char *rel, const char *text,
    size_t len)
{
    char path[512];
    int fd;

    snprintf(path, sizeof(path), "%s%s", u->prefix, rel);
    (void) wd_create_full_path((u_char *) path, 0755);

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ck_assert_msg(fd != -1, "open(%s): %s", path, strerror(errno));
    ck_assert_int_eq(wd_write_fd(fd, (void *) text, len), (ssize_t) len);
    close(fd);
}

WD_UNIT_FN void
wd_unit_write(wd_unit_conf_t *u, const char *rel, const char *text)
{
    wd_unit_write_len(u, rel, text, strlen(text));
}

WD_UNIT_FN void
wd_unit_mkdir(wd_unit_conf_t *u, const char *rel)
{
    char path[512];

    snprintf(path, sizeof(path), "%s%s/", u->prefix, rel);
    ck_assert_int_eq(wd_create_full_path((u_char *) path, 0755), 0);
}

/* PREFIX/rel as a NUL-terminated string in the cycle's pool. */
WD_UNIT_FN wd_str_t
wd_unit_path(wd_unit_conf_t *u, const char *rel)
{
    char path[512];
    wd_str_t s;

    snprintf(path, sizeof(path), "%s%s", u->prefix, rel);
    wd_unit_str(u->cycle->pool, &s, path);

    return s;
}

WD_UNIT_FN wd_unit_conf_t *
wd_unit_conf_create(void)
{
    char path[300];
    wd_pool_t *pool;
    wd_cycle_t *cycle;
    wd_unit_conf_t *u;

    u = calloc(1, sizeof(wd_unit_conf_t));
    ck_assert_ptr_nonnull(u);

    strcpy(u->prefix, "/tmp/wd-unit.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(u->prefix));
    strcat(u->prefix, "/");

    /* the log lives outside the prefix so globs in tests never see it */
    snprintf(u->log_path, sizeof(u->log_path), "%.*s.log",
             (int) strlen(u->prefix) - 1, u->prefix);
    u->log_file.fd = open(u->log_path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND
                          | O_CLOEXEC, 0644);
    ck_assert_int_ne(u->log_file.fd, -1);
    u->log.file = &u->log_file;
    u->log.log_level = WD_LOG_DEBUG;

    pool = wd_create_pool(WD_CYCLE_POOL_SIZE, &u->log);
    ck_assert_ptr_nonnull(pool);
    cycle = wd_pcalloc(pool, sizeof(wd_cycle_t));
    ck_assert_ptr_nonnull(cycle);

    cycle->pool = pool;
    cycle->log = &u->log;
    u->cycle = cycle;

    wd_unit_str(pool, &cycle->prefix, u->prefix);
    snprintf(path, sizeof(path), "%sconf/", u->prefix);
    wd_unit_str(pool, &cycle->conf_prefix, path);
    snprintf(path, sizeof(path), "%sconf/warden.conf", u->prefix);
    wd_unit_str(pool, &cycle->conf_file, path);
    wd_unit_str(pool, &cycle->error_log, "stderr");
    wd_unit_mkdir(u, "conf");

    wd_unit_cycle_lists(cycle);
    wd_unit_cycle_modules(cycle);

    u->cf.args = wd_array_create(pool, 10, sizeof(wd_str_t));
    ck_assert_ptr_nonnull(u->cf.args);
    u->cf.temp_pool = wd_create_pool(WD_CYCLE_POOL_SIZE, &u->log);
    ck_assert_ptr_nonnull(u->cf.temp_pool);
    u->cf.ctx = cycle->conf_ctx;
    u->cf.cycle = cycle;
    u->cf.pool = pool;
    u->cf.log = &u->log;
    u->cf.module_type = WD_CORE_MODULE;
    u->cf.cmd_type = WD_MAIN_CONF;

    return u;
}

WD_UNIT_FN int
wd_unit_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void) sb;
    (void) ftw;

    if (flag == FTW_DP) {
        return rmdir(path);
    }

    return unlink(path);
}

WD_UNIT_FN void
wd_unit_conf_destroy(wd_unit_conf_t *u)
{
    if (u->cf.temp_pool) {
        wd_destroy_pool(u->cf.temp_pool);
    }

    wd_destroy_pool(u->cycle->pool);

    close(u->log_file.fd);
    unlink(u->log_path);
    (void) nftw(u->prefix, wd_unit_rm, 16, FTW_DEPTH | FTW_PHYS);

    free(u->log_text);
    free(u);
}

/* Runs the core modules' init_conf hooks, as wd_init_cycle does after
 * the configuration is read. */
WD_UNIT_FN wd_int_t
wd_unit_init_confs(wd_unit_conf_t *u)
{
    wd_uint_t i;
    wd_cycle_t *cycle = u->cycle;
    wd_core_module_t *module;

    for (i = 0; cycle->modules[i]; i++) {
        if (cycle->modules[i]->type != WD_CORE_MODULE) {
            continue;
        }

        module = cycle->modules[i]->ctx;

        if (module->init_conf
            && module->init_conf(cycle, cycle->conf_ctx[cycle->modules[i]
                                                           ->index])
                   == WD_CONF_ERROR)
        {
            return WD_ERROR;
        }
    }

    return WD_OK;
}

/* Parses PREFIX/rel as the main configuration file. */
WD_UNIT_FN char *
wd_unit_parse_file(wd_unit_conf_t *u, const char *rel)
{
    wd_str_t name;

    name = wd_unit_path(u, rel);

    return wd_conf_parse(&u->cf, &name);
}

/* Writes text to PREFIX/conf/warden.conf and parses it. */
WD_UNIT_FN char *
wd_unit_parse(wd_unit_conf_t *u, const char *text)
{
    wd_unit_write(u, "conf/warden.conf", text);

    return wd_unit_parse_file(u, "conf/warden.conf");
}

/*
 * The log lines written since the last call.  Each must be
 *   YYYY/MM/DD HH:MM:SS [level] PID#PID: message
 * and comes back as "[level] message\n".  The result stays valid until
 * the next call.
 */
WD_UNIT_FN const char *
wd_unit_log(wd_unit_conf_t *u)
{
    static const char *line_re =
        "^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} "
        "(\\[(emerg|alert|crit|error|warn|notice|info|debug)\\]) "
        "[0-9]+#[0-9]+: ";
    char *text, *line, *next, *out;
    size_t n, len;
    off_t size;
    ssize_t got;
    regex_t re;
    regmatch_t m[3];

    size = lseek(u->log_file.fd, 0, SEEK_END);
    ck_assert_int_ge(size, u->log_read);

    len = (size_t) (size - u->log_read);
    text = malloc(len + 1);
    out = malloc(len + 1);
    ck_assert(text != NULL && out != NULL);

    got = pread(u->log_file.fd, text, len, u->log_read);
    ck_assert_int_eq(got, (ssize_t) len);
    text[len] = '\0';
    u->log_read = size;

    ck_assert_int_eq(regcomp(&re, line_re, REG_EXTENDED), 0);

    n = 0;

    for (line = text; *line; line = next) {
        next = strchr(line, '\n');
        ck_assert_msg(next != NULL, "log line without LF: \"%s\"", line);
        *next++ = '\0';

        ck_assert_msg(regexec(&re, line, 3, m, 0) == 0,
                      "log line not in nginx's format: \"%s\"", line);

        n += sprintf(out + n, "%.*s %s\n", (int) (m[1].rm_eo - m[1].rm_so),
                     line + m[1].rm_so, line + m[0].rm_eo);
    }

    out[n] = '\0';

    regfree(&re);
    free(text);
    free(u->log_text);
    u->log_text = out;

    return out;
}

/* Compares the new log lines with a printf-built expectation. */
#define wd_unit_log_is(u, ...)                                                 \
    do {                                                                       \
        char wd_unit_expect_[8192];                                            \
        snprintf(wd_unit_expect_, sizeof(wd_unit_expect_), __VA_ARGS__);      \
        ck_assert_str_eq(wd_unit_log(u), wd_unit_expect_);                     \
    } while (0)

/* A main() that runs the suite and exits non-zero on any failure. */
#define WD_UNIT_MAIN(make_suite)                                               \
    int                                                                        \
    main(void)                                                                 \
    {                                                                          \
        int failed;                                                            \
        SRunner *sr;                                                           \
                                                                               \
        wd_unit_init();                                                        \
        sr = srunner_create(make_suite());                                     \
        srunner_run_all(sr, CK_NORMAL);                                        \
        failed = srunner_ntests_failed(sr);                                    \
        srunner_free(sr);                                                      \
                                                                               \
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;                           \
    }

#endif /* WD_UNIT_H */
