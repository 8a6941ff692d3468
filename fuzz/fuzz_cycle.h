/*
 * What the harnesses that run a whole server cycle share: a temporary
 * prefix (removed at exit), files written into it, and a cycle built from
 * its fuzz.conf the way a single-process warden builds one, with every
 * module's init_process hook run.  Included by one harness each, so its
 * functions are static.
 */

#ifndef FUZZ_CYCLE_H
#define FUZZ_CYCLE_H

#include <wd_http.h>
#include <wd_os.h>

static char *fuzz_tmp_dir;

static void
fuzz_write(const char *path, const char *text)
{
    FILE *f;

    f = fopen(path, "w");

    if (f == NULL) {
        abort();
    }

    fputs(text, f);
    fclose(f);
}

static void
fuzz_tmp_cleanup(void)
{
    char cmd[256];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", fuzz_tmp_dir);

    if (system(cmd) != 0) {
        /* nothing to do about a leftover directory in /tmp */
    }
}

/* A new directory from template ("/tmp/NAME-XXXXXX", changed in place),
 * removed when the process exits. */
static char *
fuzz_tmp_prefix(char *template)
{
    fuzz_tmp_dir = mkdtemp(template);

    if (fuzz_tmp_dir == NULL) {
        abort();
    }

    atexit(fuzz_tmp_cleanup);

    return fuzz_tmp_dir;
}

/* The cycle of dir/fuzz.conf, its log at /dev/null. */
static wd_cycle_t *
fuzz_cycle_start(const char *dir)
{
    wd_uint_t i;
    wd_log_t *log;
    wd_cycle_t *cycle;
    static wd_cycle_t init_cycle;
    static char conf_file[256], prefix[256];

    snprintf(prefix, sizeof(prefix), "%s/", dir);
    snprintf(conf_file, sizeof(conf_file), "%s/fuzz.conf", dir);

    wd_time_init();
    wd_pid = getpid();
    wd_process = WD_PROCESS_SINGLE;

    log = wd_log_init((u_char *) prefix, (u_char *) "/dev/null");
    log->log_level = WD_LOG_EMERG;

    init_cycle.log = log;
    init_cycle.pool = wd_create_pool(1024, log);
    wd_str_set(&init_cycle.error_log, "/dev/null");
    init_cycle.prefix.data = (u_char *) prefix;
    init_cycle.prefix.len = strlen(prefix);
    init_cycle.conf_prefix = init_cycle.prefix;
    init_cycle.conf_file.data = (u_char *) conf_file;
    init_cycle.conf_file.len = strlen(conf_file);
    wd_cycle = &init_cycle;

    if (wd_os_init(log) != WD_OK || wd_preinit_modules() != WD_OK) {
        abort();
    }

    wd_use_stderr = 0;

    cycle = wd_init_cycle(&init_cycle);

    if (cycle == NULL) {
        abort();
    }

    wd_cycle = cycle;

    for (i = 0; cycle->modules[i]; i++) {
        if (cycle->modules[i]->init_process
            && cycle->modules[i]->init_process(cycle) != WD_OK)
        {
            abort();
        }
    }

    return cycle;
}

#endif /* FUZZ_CYCLE_H */
