/*
 * Start-up: what the OS offers (CPUs, page size, limits), daemonizing,
 * and the process title shown by ps.
 */

#include <wd_os.h>

wd_uint_t wd_pagesize;
int wd_argc;
char **wd_argv;
char **wd_os_argv;
char **wd_os_environ;

extern char **environ;

static char *wd_title_start;    /* the argv/environ area we may overwrite */
static char *wd_title_end;
/* keeps the copy reachable (for leak checkers) after environ changes;
 * not static, so the store is not optimized away */
char **wd_environ_copy;

wd_int_t
wd_os_init(wd_log_t *log)
{
    long n;
    cpu_set_t cpus;

    wd_pagesize = (wd_uint_t) getpagesize();

    if (sched_getaffinity(0, sizeof(cpu_set_t), &cpus) == 0) {
        wd_ncpu = (wd_uint_t) CPU_COUNT(&cpus);

    } else {
        n = sysconf(_SC_NPROCESSORS_ONLN);
        wd_ncpu = (n > 0) ? (wd_uint_t) n : 1;
    }

    if (wd_ncpu == 0) {
        wd_ncpu = 1;
    }

    wd_io.recv = wd_unix_recv;
    wd_io.send = wd_unix_send;
    wd_io.send_chain = wd_linux_sendfile_chain;

    return WD_OK;
}

void
wd_os_status(wd_log_t *log)
{
    struct utsname u;
    struct rlimit rlmt;

    wd_log_error(WD_LOG_NOTICE, log, 0, "using the \"epoll\" event method");
    wd_log_error(WD_LOG_NOTICE, log, 0, "warden/%s", "0.1.0");
    wd_log_error(WD_LOG_NOTICE, log, 0, "built by %s", WD_COMPILER);

    if (uname(&u) == 0) {
        wd_log_error(WD_LOG_NOTICE, log, 0, "OS: %s %s", u.sysname,
                     u.release);
    }

    if (getrlimit(RLIMIT_NOFILE, &rlmt) == 0) {
        wd_log_error(WD_LOG_NOTICE, log, 0, "getrlimit(RLIMIT_NOFILE): %ld:%ld",
                     (long) rlmt.rlim_cur, (long) rlmt.rlim_max);
    }
}

wd_int_t
wd_daemon(wd_log_t *log)
{
    int fd;

    switch (fork()) {
    case -1:
        wd_log_error(WD_LOG_EMERG, log, wd_errno, "fork() failed");
        return WD_ERROR;

    case 0:
        break;

    default:
        exit(0);
    }

    wd_parent = wd_pid;
    wd_pid = getpid();

    if (setsid() == -1) {
        wd_log_error(WD_LOG_EMERG, log, wd_errno, "setsid() failed");
        return WD_ERROR;
    }

    umask(0);

    fd = open("/dev/null", O_RDWR);

    if (fd == -1) {
        wd_log_error(WD_LOG_EMERG, log, wd_errno,
                     "open(\"/dev/null\") failed");
        return WD_ERROR;
    }

    if (dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1) {
        wd_log_error(WD_LOG_EMERG, log, wd_errno, "dup2() failed");
        return WD_ERROR;
    }

    if (fd > STDERR_FILENO && close(fd) == -1) {
        wd_log_error(WD_LOG_EMERG, log, wd_errno, "close() failed");
        return WD_ERROR;
    }

    return WD_OK;
}

/*
 * The title overwrites the memory of argv and environ, which are
 * contiguous; environ is copied elsewhere first so getenv() keeps working.
 */
wd_int_t
wd_save_argv(int argc, char *const *argv)
{
    int i, n;
    char *end;

    wd_os_argv = (char **) argv;
    wd_argc = argc;

    wd_argv = malloc((argc + 1) * sizeof(char *));

    if (wd_argv == NULL) {
        return WD_ERROR;
    }

    for (i = 0; i < argc; i++) {
        wd_argv[i] = strdup(argv[i]);

        if (wd_argv[i] == NULL) {
            return WD_ERROR;
        }
    }

    wd_argv[i] = NULL;

    end = argv[0];

    for (i = 0; i < argc; i++) {
        if (argv[i] == end) {
            end = argv[i] + strlen(argv[i]) + 1;
        }
    }

    for (n = 0; environ[n]; n++) { /* void */ }

    wd_os_environ = environ;
    wd_environ_copy = malloc((n + 1) * sizeof(char *));

    if (wd_environ_copy == NULL) {
        return WD_ERROR;
    }

    environ = wd_environ_copy;

    for (i = 0; i < n; i++) {
        if (wd_os_environ[i] == end) {
            end = wd_os_environ[i] + strlen(wd_os_environ[i]) + 1;
        }

        environ[i] = strdup(wd_os_environ[i]);

        if (environ[i] == NULL) {
            return WD_ERROR;
        }
    }

    environ[n] = NULL;

    wd_title_start = argv[0];
    wd_title_end = end;

    return WD_OK;
}

void
wd_setproctitle(const char *title)
{
    size_t room, len;
    char *p;

    if (wd_title_start == NULL) {
        return;
    }

    room = wd_title_end - wd_title_start;

    if (room < 2) {
        return;
    }

    wd_os_argv[1] = NULL;

    p = wd_title_start;
    len = (size_t) snprintf(p, room, "%s: %s", wd_log_program, title);

    if (len >= room) {
        len = room - 1;
    }

    memset(p + len, '\0', room - len);
}
