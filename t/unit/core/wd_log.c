/*
 * Unit tests of src/core/wd_log.c: the line format, errno text, long
 * messages, "error_log" parsing, the chain of logs by level, and the
 * copy of serious lines on stderr at start-up.
 */

#include "../wd_unit.h"

static wd_unit_conf_t *u;

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

/* Reads a whole file into a malloc'ed string. */
static char *
slurp_fd(int fd)
{
    char *buf;
    off_t size;

    size = lseek(fd, 0, SEEK_END);
    ck_assert_int_ge(size, 0);
    buf = malloc(size + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(pread(fd, buf, size, 0), size);
    buf[size] = '\0';

    return buf;
}

START_TEST(test_line_format)
{
    const char *out;

    wd_log_error(WD_LOG_ERR, &u->log, 0, "plain %s %d", "text", 42);
    wd_log_error(WD_LOG_CRIT, &u->log, WD_ENOENT, "open() \"%s\" failed",
                 "/x");
    wd_log_error(WD_LOG_INFO, &u->log, WD_EACCES, "info");

    out = wd_unit_log(u);
    ck_assert_str_eq(out, "[error] plain text 42\n"
                     "[crit] open() \"/x\" failed (2: No such file or "
                     "directory)\n"
                     "[info] info (13: Permission denied)\n");

    /* below the log's level, nothing */
    u->log.log_level = WD_LOG_WARN;
    wd_log_error(WD_LOG_NOTICE, &u->log, 0, "hidden");
    ck_assert_str_eq(wd_unit_log(u), "");
}
END_TEST

START_TEST(test_pid_and_time)
{
    char *text, want[64];
    int n;

    wd_log_error(WD_LOG_WARN, &u->log, 0, "x");
    text = slurp_fd(u->log_file.fd);

    /* "YYYY/MM/DD HH:MM:SS [warn] PID#PID: x" with the cached time */
    ck_assert_mem_eq(text, wd_cached_err_log_time.data,
                     wd_cached_err_log_time.len);
    n = snprintf(want, sizeof(want), " [warn] %ld#%ld: x\n", (long) wd_pid,
                 (long) wd_pid);
    ck_assert_str_eq(text + wd_cached_err_log_time.len, want);
    ck_assert_int_eq(strlen(text), wd_cached_err_log_time.len + n);
    free(text);
}
END_TEST

static u_char *
context_handler(wd_log_t *log, u_char *buf, size_t len)
{
    return wd_slprintf(buf, buf + len, ", client: %s", (char *) log->data);
}

START_TEST(test_connection_and_context)
{
    u->log.connection = 17;
    u->log.handler = context_handler;
    u->log.data = "192.0.2.1";

    wd_log_error(WD_LOG_ERR, &u->log, 0, "timed out");
    ck_assert_str_eq(wd_unit_log(u),
                     "[error] *17 timed out, client: 192.0.2.1\n");
}
END_TEST

START_TEST(test_long_message)
{
    char *big, *text;
    size_t len;

    big = malloc(10000);
    memset(big, 'a', 9999);
    big[9999] = '\0';

    wd_log_error(WD_LOG_ERR, &u->log, WD_ENOENT, "%s", big);
    text = slurp_fd(u->log_file.fd);
    len = strlen(text);

    /* cut to WD_MAX_ERROR_STR with the LF, and the errno text still
     * fits at the end */
    ck_assert_uint_le(len, WD_MAX_ERROR_STR);
    ck_assert_uint_eq(text[len - 1], '\n');
    ck_assert_ptr_nonnull(strstr(text, "... (2: No such file or directory)"
                                 "\n"));
    ck_assert_ptr_nonnull(strstr(text, "aaaa"));

    free(text);
    free(big);
}
END_TEST

START_TEST(test_log_errno)
{
    u_char buf[256], *p;

    p = wd_log_errno(buf, buf + sizeof(buf), WD_ENOENT);
    *p = '\0';
    ck_assert_str_eq((char *) buf, " (2: No such file or directory)");

    /* too little room: "..." and the text replace the end */
    p = wd_log_errno(buf + 230, buf + sizeof(buf), WD_ENOENT);
    ck_assert((uintptr_t) p <= (uintptr_t) (buf + sizeof(buf)));
    ck_assert_mem_eq(buf + 206, "... (2: No such file or directory)", 34);
}
END_TEST

/* Parses the main file and returns the chain of cycle->new_log as
 * "LEVEL:FILE,LEVEL:FILE" (file relative to the prefix). */
static char *
chain(void)
{
    static char out[512];
    wd_log_t *log;
    size_t n, plen;
    const char *name;

    out[0] = '\0';
    plen = strlen(u->prefix);

    for (log = &u->cycle->new_log; log; log = log->next) {
        n = strlen(out);

        if (log->file->name.len == 0) {
            name = "stderr";
        } else {
            ck_assert_mem_eq(log->file->name.data, u->prefix, plen);
            name = (char *) log->file->name.data + plen;
        }

        snprintf(out + n, sizeof(out) - n, "%s%lx:%s", n ? "," : "",
                 (unsigned long) log->log_level, name);
    }

    return out;
}

START_TEST(test_error_log_levels)
{
    ck_assert_ptr_eq(wd_unit_parse(u, "error_log logs/e.log;\n"), WD_CONF_OK);
    ck_assert_str_eq(chain(), "4:logs/e.log");

    teardown();
    setup();
    ck_assert_ptr_eq(wd_unit_parse(u, "error_log stderr info;\n"),
                     WD_CONF_OK);
    ck_assert_str_eq(chain(), "7:stderr");
    ck_assert_uint_eq(u->cycle->log_use_stderr, 1);

    teardown();
    setup();
    ck_assert_ptr_eq(wd_unit_parse(u, "error_log d.log debug;\n"),
                     WD_CONF_OK);
    ck_assert_str_eq(chain(), "7ffffff0:d.log");

    teardown();
    setup();
    ck_assert_ptr_eq(wd_unit_parse(u, "error_log d.log debug_http "
                                   "debug_core;\n"), WD_CONF_OK);
    ck_assert_str_eq(chain(), "110:d.log");
}
END_TEST

START_TEST(test_error_log_chain_order)
{
    /* more verbose logs come first, whatever the order written */
    ck_assert_ptr_eq(wd_unit_parse(u, "error_log w.log warn;\n"
                                   "error_log d.log debug;\n"
                                   "error_log e.log error;\n"
                                   "error_log i.log info;\n"
                                   "error_log c.log crit;\n"), WD_CONF_OK);
    ck_assert_str_eq(chain(), "7ffffff0:d.log,7:i.log,5:w.log,4:e.log,"
                     "3:c.log");
    ck_assert_str_eq(wd_unit_log(u), "");
}
END_TEST

START_TEST(test_error_log_errors)
{
    ck_assert_ptr_eq(wd_unit_parse(u, "error_log x.log bogus;\n"),
                     WD_CONF_ERROR);
    wd_unit_log_is(u, "[emerg] invalid log level \"bogus\" in "
                   "%sconf/warden.conf:1\n", u->prefix);

    teardown();
    setup();
    ck_assert_ptr_eq(wd_unit_parse(u, "error_log x.log warn error;\n"),
                     WD_CONF_ERROR);
    wd_unit_log_is(u, "[emerg] duplicate log level \"error\" in "
                   "%sconf/warden.conf:1\n", u->prefix);

    teardown();
    setup();
    ck_assert_ptr_eq(wd_unit_parse(u, "error_log x.log warn debug_http;\n"),
                     WD_CONF_ERROR);
    wd_unit_log_is(u, "[emerg] invalid log level \"debug_http\" in "
                   "%sconf/warden.conf:1\n", u->prefix);

    teardown();
    setup();
    ck_assert_ptr_eq(wd_unit_parse(u, "error_log syslog:server=x;\n"),
                     WD_CONF_ERROR);
    wd_unit_log_is(u, "[emerg] logging to \"syslog\" is not supported in "
                   "%sconf/warden.conf:1\n", u->prefix);

    teardown();
    setup();
    ck_assert_ptr_eq(wd_unit_parse(u, "\nerror_log memory:32m debug;\n"),
                     WD_CONF_ERROR);
    wd_unit_log_is(u, "[emerg] logging to \"memory\" is not supported in "
                   "%sconf/warden.conf:2\n", u->prefix);

    teardown();
    setup();
    ck_assert_ptr_eq(wd_unit_parse(u, "error_log;\n"), WD_CONF_ERROR);
    wd_unit_log_is(u, "[emerg] invalid number of arguments in \"error_log\" "
                   "directive in %sconf/warden.conf:1\n", u->prefix);
}
END_TEST

START_TEST(test_write_chain)
{
    wd_log_t *log;
    int fds[3], i;
    char *text;

    ck_assert_ptr_eq(wd_unit_parse(u, "error_log e.log error;\n"
                                   "error_log d.log debug;\n"
                                   "error_log w.log warn;\n"), WD_CONF_OK);

    /* give each log a file of its own, in chain order: d, w, e */
    for (i = 0, log = &u->cycle->new_log; log; log = log->next, i++) {
        fds[i] = open((char *) log->file->name.data,
                      O_RDWR | O_CREAT | O_TRUNC, 0644);
        ck_assert_int_ne(fds[i], -1);
        log->file->fd = fds[i];
    }

    ck_assert_int_eq(i, 3);

    log = &u->cycle->new_log;
    wd_log_error(WD_LOG_WARN, log, 0, "a warning");
    wd_log_error(WD_LOG_ERR, log, 0, "an error");
    wd_log_error(WD_LOG_INFO, log, 0, "some info");

    /* each log got the lines at its level or worse */
    text = slurp_fd(fds[0]);
    ck_assert_ptr_nonnull(strstr(text, "a warning"));
    ck_assert_ptr_nonnull(strstr(text, "an error"));
    ck_assert_ptr_nonnull(strstr(text, "some info"));
    free(text);

    text = slurp_fd(fds[1]);
    ck_assert_ptr_nonnull(strstr(text, "a warning"));
    ck_assert_ptr_nonnull(strstr(text, "an error"));
    ck_assert_ptr_null(strstr(text, "some info"));
    free(text);

    text = slurp_fd(fds[2]);
    ck_assert_ptr_null(strstr(text, "a warning"));
    ck_assert_ptr_nonnull(strstr(text, "an error"));
    free(text);

    for (i = 0; i < 3; i++) {
        close(fds[i]);
    }
}
END_TEST

/* Runs fn with stderr sent to a temporary file; returns what it got. */
static char *
capture_stderr(void (*fn)(void))
{
    char path[] = "/tmp/wd-unit-stderr.XXXXXX";
    int fd, saved;
    char *text;

    fd = mkstemp(path);
    ck_assert_int_ne(fd, -1);
    unlink(path);

    saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);

    text = slurp_fd(fd);
    close(fd);

    return text;
}

static void
log_some(void)
{
    wd_log_error(WD_LOG_EMERG, &u->log, 0, "bad %s", "thing");
    wd_log_error(WD_LOG_NOTICE, &u->log, 0, "just a notice");
}

START_TEST(test_stderr_copy)
{
    char *text;

    /* while starting up, emerg..warn lines also go to the terminal,
     * without the time and pid */
    wd_use_stderr = 1;
    text = capture_stderr(log_some);
    ck_assert_str_eq(text, "warden: [emerg] bad thing\n");
    free(text);

    wd_use_stderr = 0;
    text = capture_stderr(log_some);
    ck_assert_str_eq(text, "");
    free(text);

    ck_assert_str_eq(wd_unit_log(u), "[emerg] bad thing\n[notice] just a "
                     "notice\n[emerg] bad thing\n[notice] just a notice\n");
}
END_TEST

static void
stderr_message(void)
{
    wd_log_stderr(WD_ENOENT, "cannot do %s", "it");
    wd_log_stderr(0, "plain");
    wd_log_stderr_raw("raw text\n");
}

START_TEST(test_log_stderr)
{
    char *text;

    text = capture_stderr(stderr_message);
    ck_assert_str_eq(text, "warden: cannot do it (2: No such file or "
                     "directory)\nwarden: plain\nraw text\n");
    free(text);
}
END_TEST

START_TEST(test_log_init)
{
    wd_log_t *log;
    char path[300];

    log = wd_log_init(NULL, (u_char *) "stderr");
    ck_assert_ptr_nonnull(log);
    ck_assert_int_eq(log->file->fd, STDERR_FILENO);
    ck_assert_uint_eq(log->log_level, WD_LOG_NOTICE);

    /* a relative name is under the prefix, with or without its '/' */
    wd_unit_mkdir(u, "logs");
    snprintf(path, sizeof(path), "%.*s", (int) strlen(u->prefix) - 1,
             u->prefix);
    log = wd_log_init((u_char *) path, (u_char *) "logs/first.log");
    ck_assert_int_ne(log->file->fd, STDERR_FILENO);
    wd_log_error(WD_LOG_NOTICE, log, 0, "hello");
    close(log->file->fd);

    snprintf(path, sizeof(path), "%slogs/first.log", u->prefix);
    ck_assert_int_eq(access(path, F_OK), 0);

    /* an absolute name is used as it is (and is not the one freed) */
    snprintf(path, sizeof(path), "%slogs/second.log", u->prefix);
    log = wd_log_init((u_char *) "/nonexistent/", (u_char *) path);
    ck_assert_int_ne(log->file->fd, STDERR_FILENO);
    close(log->file->fd);
    ck_assert_int_eq(access(path, F_OK), 0);
}
END_TEST

static wd_log_t *init_log;
static char init_prefix[300];

static void
log_init_failing(void)
{
    init_log = wd_log_init((u_char *) init_prefix, (u_char *) "nodir/x.log");
}

START_TEST(test_log_init_fallback)
{
    char *text, want[600];

    /* a log that cannot be opened: said on stderr, and stderr it is */
    snprintf(init_prefix, sizeof(init_prefix), "%s", u->prefix);
    text = capture_stderr(log_init_failing);
    snprintf(want, sizeof(want), "warden: [alert] could not open error log "
             "file: open() \"%snodir/x.log\" failed (2: No such file or "
             "directory)\n", u->prefix);
    ck_assert_str_eq(text, want);
    ck_assert_int_eq(init_log->file->fd, STDERR_FILENO);
    free(text);
}
END_TEST

static Suite *
log_suite(void)
{
    Suite *s;
    TCase *tc;

    s = suite_create("wd_log");

    tc = tcase_create("lines");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_line_format);
    tcase_add_test(tc, test_pid_and_time);
    tcase_add_test(tc, test_connection_and_context);
    tcase_add_test(tc, test_long_message);
    tcase_add_test(tc, test_log_errno);
    tcase_add_test(tc, test_stderr_copy);
    tcase_add_test(tc, test_log_stderr);
    tcase_add_test(tc, test_log_init);
    tcase_add_test(tc, test_log_init_fallback);
    suite_add_tcase(s, tc);

    tc = tcase_create("error_log");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_error_log_levels);
    tcase_add_test(tc, test_error_log_chain_order);
    tcase_add_test(tc, test_error_log_errors);
    tcase_add_test(tc, test_write_chain);
    suite_add_tcase(s, tc);

    return s;
}

WD_UNIT_MAIN(log_suite)
