/*
 * main(): the command line (nginx's switches, output and exit codes),
 * then the master/worker or single-process run.
 */

#include <wd_core.h>
#include <wd_event.h>
#include <wd_os.h>
#include <openssl/opensslv.h>
#include <openssl/crypto.h>

#define WD_VERSION "0.1.0"
#define WD_NGINX_VERSION "1.28.0"

typedef struct {
    wd_uint_t show_help;
    wd_uint_t show_version;
    wd_uint_t show_configure;
    u_char *prefix;
    u_char *error_log;
    u_char *conf_file;
    u_char *conf_params;
    char *signal;
} wd_options_t;

static wd_uint_t
wd_nginx_named(char *argv0)
{
    char *base;

    base = strrchr(argv0, '/');
    base = base ? base + 1 : argv0;

    return strcmp(base, "nginx") == 0;
}

/* "--with-..." or "--without-..." arguments for nginx's modules, after
 * a space when something came before them on the line. */
static void
wd_show_nginx_modules(const char *args, wd_uint_t space)
{
    if (args[0] == '\0') {
        return;
    }

    if (space) {
        wd_log_stderr_raw(" ");
    }

    wd_log_stderr_raw(args);
}

static void
wd_show_version_info(wd_options_t *opt, char *argv0)
{
    if (wd_nginx_named(argv0)) {
        wd_log_stderr_raw("nginx version: nginx/" WD_NGINX_VERSION
                          " (warden/" WD_VERSION ")\n");
    } else {
        wd_log_stderr_raw("warden version: warden/" WD_VERSION
                          " (nginx/" WD_NGINX_VERSION " compatible)\n");
    }

    if (opt->show_help) {
        wd_log_stderr_raw("Usage: ");
        wd_log_stderr_raw(wd_log_program);
        wd_log_stderr_raw(
            " [-?hvVtTq] [-s signal] [-p prefix]\n"
            "             [-e filename] [-c filename] [-g directives]\n"
            "\n"
            "Options:\n"
            "  -?,-h         : this help\n"
            "  -v            : show version and exit\n"
            "  -V            : show version and configure options then exit\n"
            "  -t            : test configuration and exit\n"
            "  -T            : test configuration, dump it and exit\n"
            "  -q            : suppress non-error messages "
            "during configuration testing\n"
            "  -s signal     : send signal to a master process: "
            "stop, quit, reopen, reload\n"
            "  -p prefix     : set prefix path (default: " WD_PREFIX ")\n"
            "  -e filename   : set error log file (default: "
            WD_ERROR_LOG_PATH ")\n"
            "  -c filename   : set configuration file (default: "
            WD_CONF_PATH ")\n"
            "  -g directives : set global directives out of "
            "configuration file\n\n");
    }

    if (opt->show_configure) {
        char buf[256];

        wd_log_stderr_raw("built by " WD_COMPILER "\n");
        if (strcmp(OPENSSL_VERSION_TEXT, OpenSSL_version(OPENSSL_VERSION))
            == 0)
        {
            snprintf(buf, sizeof(buf), "built with %s\n",
                     OPENSSL_VERSION_TEXT);
        } else {
            snprintf(buf, sizeof(buf), "built with %s (running with %s)\n",
                     OPENSSL_VERSION_TEXT, OpenSSL_version(OPENSSL_VERSION));
        }
        wd_log_stderr_raw(buf);
        wd_log_stderr_raw("TLS SNI support enabled\n");
        wd_log_stderr_raw("configure arguments: " WD_CONFIGURE_ARGS);
        wd_show_nginx_modules(WD_NGINX_WITH,
                              WD_CONFIGURE_ARGS[0] != '\0');
        wd_show_nginx_modules(WD_NGINX_WITHOUT,
                              WD_CONFIGURE_ARGS[0] != '\0'
                                  || WD_NGINX_WITH[0] != '\0');

        wd_log_stderr_raw("\n");
    }
}

/* The argument of a switch: the rest of this word, or the next word. */
static char *
wd_option_value(char **argv, wd_int_t *i, char *p)
{
    if (*p) {
        return p;
    }

    if (argv[*i + 1]) {
        (*i)++;
        return argv[*i];
    }

    return NULL;
}

static wd_int_t
wd_option_signal(wd_options_t *opt, char *value)
{
    if (strcmp(value, "stop") == 0 || strcmp(value, "quit") == 0
        || strcmp(value, "reopen") == 0 || strcmp(value, "reload") == 0)
    {
        opt->signal = value;
        wd_process = WD_PROCESS_SIGNALLER;
        return WD_OK;
    }

    wd_log_stderr(0, "invalid option: \"-s %s\"", value);

    return WD_ERROR;
}

/* Handles one switch with an argument; p points after the letter. */
static wd_int_t
wd_option_with_value(wd_options_t *opt, char **argv, wd_int_t *i, char c,
    char *p)
{
    char *value;

    value = wd_option_value(argv, i, p);

    if (value == NULL) {
        switch (c) {
        case 'p':
            wd_log_stderr(0, "option \"-p\" requires directory name");
            break;
        case 'e':
        case 'c':
            wd_log_stderr(0, "option \"-%c\" requires file name", c);
            break;
        default:
            wd_log_stderr(0, "option \"-%c\" requires parameter", c);
        }
        return WD_ERROR;
    }

    switch (c) {
    case 'p':
        opt->prefix = (u_char *) value;
        return WD_OK;
    case 'e':
        opt->error_log = (u_char *) value;
        return WD_OK;
    case 'c':
        opt->conf_file = (u_char *) value;
        return WD_OK;
    case 'g':
        opt->conf_params = (u_char *) value;
        return WD_OK;
    default:
        return wd_option_signal(opt, value);
    }
}

static wd_int_t
wd_get_options(wd_options_t *opt, int argc, char **argv)
{
    char *p;
    wd_int_t i;

    for (i = 1; i < argc; i++) {
        p = argv[i];

        if (*p++ != '-') {
            wd_log_stderr(0, "invalid option: \"%s\"", argv[i]);
            return WD_ERROR;
        }

        while (*p) {
            switch (*p++) {

            case '?':
            case 'h':
                opt->show_version = 1;
                opt->show_help = 1;
                break;

            case 'v':
                opt->show_version = 1;
                break;

            case 'V':
                opt->show_version = 1;
                opt->show_configure = 1;
                break;

            case 't':
                wd_test_config = 1;
                break;

            case 'T':
                wd_test_config = 1;
                wd_dump_config = 1;
                break;

            case 'q':
                wd_quiet_mode = 1;
                break;

            case 'p':
            case 'e':
            case 'c':
            case 'g':
            case 's':
                if (wd_option_with_value(opt, argv, &i, p[-1], p) != WD_OK) {
                    return WD_ERROR;
                }
                goto next;

            default:
                wd_log_stderr(0, "invalid option: \"%c\"", *(p - 1));
                return WD_ERROR;
            }
        }

    next:

        continue;
    }

    return WD_OK;
}

/* Sets the cycle's prefix, configuration file, its directory, -g, -e. */
static wd_int_t
wd_process_options(wd_cycle_t *cycle, wd_options_t *opt)
{
    u_char *p;
    size_t len;

    if (opt->prefix) {
        len = wd_strlen(opt->prefix);
        p = wd_pnalloc(cycle->pool, len + 2);

        if (p == NULL) {
            return WD_ERROR;
        }

        wd_memcpy(p, opt->prefix, len);

        if (len == 0 || p[len - 1] != '/') {
            p[len++] = '/';
        }

        p[len] = '\0';
        cycle->prefix.data = p;
        cycle->prefix.len = len;

    } else {
        wd_str_set(&cycle->prefix, WD_PREFIX);
    }

    cycle->conf_prefix = cycle->prefix;

    if (opt->conf_file) {
        cycle->conf_file.len = wd_strlen(opt->conf_file);
        cycle->conf_file.data = opt->conf_file;

    } else {
        wd_str_set(&cycle->conf_file, WD_CONF_PATH);
    }

    if (wd_conf_full_name(cycle, &cycle->conf_file, 0) != WD_OK) {
        return WD_ERROR;
    }

    /* the configuration's directory, for includes */
    for (p = cycle->conf_file.data + cycle->conf_file.len - 1;
         p > cycle->conf_file.data; p--)
    {
        if (*p == '/') {
            cycle->conf_prefix.len = p - cycle->conf_file.data + 1;
            cycle->conf_prefix.data = cycle->conf_file.data;
            break;
        }
    }

    if (opt->error_log) {
        cycle->error_log.len = wd_strlen(opt->error_log);
        cycle->error_log.data = opt->error_log;

    } else {
        wd_str_set(&cycle->error_log, WD_ERROR_LOG_PATH);
    }

    if (opt->conf_params) {
        cycle->conf_param.len = wd_strlen(opt->conf_params);
        cycle->conf_param.data = opt->conf_params;
    }

    if (wd_test_config) {
        cycle->log->log_level = WD_LOG_INFO;
    }

    return WD_OK;
}

static void
wd_dump_configuration(wd_cycle_t *cycle)
{
    wd_uint_t i;
    wd_conf_dump_t *cd;

    cd = cycle->config_dump->elts;

    for (i = 0; i < cycle->config_dump->nelts; i++) {
        wd_write_stdout("# configuration file ");
        (void) wd_write_fd(STDOUT_FILENO, cd[i].name.data, cd[i].name.len);
        wd_write_stdout(":" WD_LINEFEED);
        (void) wd_write_fd(STDOUT_FILENO, cd[i].text.data, cd[i].text.len);
        wd_write_stdout(WD_LINEFEED);
    }
}

/* Checks the configuration (-t/-T); returns the exit code. */
static int
wd_run_test(wd_cycle_t *cycle, wd_cycle_t *init_cycle)
{
    if (cycle == NULL) {
        wd_log_stderr(0, "configuration file %s test failed",
                      init_cycle->conf_file.data);
        return 1;
    }

    if (!wd_quiet_mode) {
        wd_log_stderr(0, "configuration file %s test is successful",
                      cycle->conf_file.data);
    }

    if (wd_dump_config) {
        wd_dump_configuration(cycle);
    }

    return 0;
}

/* Daemonizes, writes the pid file and leaves stderr to the error log. */
static wd_int_t
wd_prepare_run(wd_cycle_t *cycle, wd_log_t *log)
{
    wd_core_conf_t *ccf;

    ccf = wd_core_conf(cycle);

    if (ccf->master && wd_process == WD_PROCESS_SINGLE) {
        wd_process = WD_PROCESS_MASTER;
    }

    if (wd_init_signals(cycle->log) != WD_OK) {
        return WD_ERROR;
    }

    if (!wd_inherited && ccf->daemon) {
        if (wd_daemon(cycle->log) != WD_OK) {
            return WD_ERROR;
        }
        wd_daemonized = 1;
    }

    if (wd_inherited) {
        wd_daemonized = 1;
    }

    if (wd_create_pidfile(&ccf->pid, cycle->log) != WD_OK) {
        return WD_ERROR;
    }

    if (wd_log_redirect_stderr(cycle) != WD_OK) {
        return WD_ERROR;
    }

    if (log->file->fd != STDERR_FILENO && close(log->file->fd) == -1) {
        wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                     "close() built-in log failed");
    }

    log->file->fd = WD_INVALID_FD;
    wd_use_stderr = 0;

    return WD_OK;
}

int
main(int argc, char *const *argv)
{
    wd_log_t *log;
    wd_cycle_t *cycle;
    wd_options_t opt;
    /* static: what it allocates stays reachable until exit */
    static wd_cycle_t init_cycle;

    wd_memzero(&opt, sizeof(wd_options_t));

    /* installed as "nginx", warden answers to that name everywhere:
     * messages, usage, process titles */
    if (wd_nginx_named(argv[0])) {
        wd_log_program = "nginx";
    }

    if (wd_get_options(&opt, argc, (char **) argv) != WD_OK) {
        return 1;
    }

    if (opt.show_version) {
        wd_show_version_info(&opt, argv[0]);

        if (!wd_test_config) {
            return 0;
        }
    }

    wd_time_init();

    wd_pid = getpid();
    wd_parent = getppid();

    log = wd_log_init(opt.prefix, opt.error_log);

    if (log == NULL) {
        return 1;
    }

    wd_memzero(&init_cycle, sizeof(wd_cycle_t));
    init_cycle.log = log;
    wd_cycle = &init_cycle;

    init_cycle.pool = wd_create_pool(1024, log);

    if (init_cycle.pool == NULL) {
        return 1;
    }

    if (wd_save_argv(argc, argv) != WD_OK
        || wd_process_options(&init_cycle, &opt) != WD_OK
        || wd_os_init(log) != WD_OK
        || wd_preinit_modules() != WD_OK)
    {
        return 1;
    }

    if (wd_process != WD_PROCESS_SIGNALLER && !wd_test_config
        && wd_set_inherited_sockets(&init_cycle) != WD_OK)
    {
        return 1;
    }

    cycle = wd_init_cycle(&init_cycle);

    if (cycle) {
        wd_cycle = cycle;
    }

    if (wd_test_config) {
        return wd_run_test(cycle, &init_cycle);
    }

    if (cycle == NULL) {
        return 1;
    }

    if (opt.signal) {
        wd_log_error(WD_LOG_NOTICE, cycle->log, 0, "signal process started");
        return (int) wd_signal_process(cycle, opt.signal);
    }

    wd_cycle = cycle;

    if (wd_prepare_run(cycle, log) != WD_OK) {
        return 1;
    }

    wd_os_status(cycle->log);

    if (wd_process == WD_PROCESS_MASTER) {
        wd_master_process_cycle(cycle);

    } else {
        wd_single_process_cycle(cycle);
    }

    return 0;
}
