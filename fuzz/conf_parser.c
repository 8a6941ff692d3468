/*
 * libFuzzer harness for the configuration parser.
 *
 * Each input is the text of a main configuration file, read in a fresh
 * cycle the way wd_init_cycle reads one: the core, errlog, conf, events,
 * event_core and epoll modules' directives run ("events { }" parses its
 * block), then, if the text was accepted, the core modules' init_conf
 * hooks.  An input whose first byte is 0x01 is instead the -g string
 * (the rest of it).  Everything is allocated from the cycle's pools,
 * which are destroyed after each input.
 *
 * The filesystem: the prefix is an empty-but-for-fixtures temporary
 * directory, and a module placed before the real one takes "include":
 * it refuses any path outside that directory (or with "..") and hands
 * the rest to wd_conf_include.  The fixtures below give includes, globs,
 * errors in included files, include recursion, a directory and a FIFO
 * to reach.  The error log is /dev/null, or stderr when WD_FUZZ_LOG is
 * set in the environment (to see what a replayed input does).
 */

#include <wd_core.h>
#include <wd_event.h>
#include <wd_os.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Defined in wd_conf_file.c; no header declares it. */
extern wd_module_t wd_conf_module;

static wd_open_file_t fz_null_file;
static wd_log_t fz_log;
static char fz_prefix[64];  /* "/tmp/wd-fuzz-conf.XXXXXX/" */

static const struct {
    const char *name;
    const char *text;           /* NULL: a directory; "|": a FIFO */
} fz_fixtures[] = {
    { "a.conf", "worker_processes 2;\n" },
    { "ev.conf", "worker_connections 64;\nmulti_accept on;\n" },
    { "bad.conf", "\n\nunknown_directive x;\n" },
    { "self.conf", "include self.conf;\n" },
    { "empty.conf", "" },
    { "g", NULL },
    { "g/1.conf", "env A=1;\n" },
    { "g/2.conf", "env B;\ninclude empty.conf;\n" },
    { "dir.conf", NULL },
    { "pipe.conf", "|" },
};


/* ---- the sandboxed "include" ----------------------------------------- */

static char *
fz_include(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value, name;

    value = cf->args->elts;
    name = value[1];

    if (wd_conf_full_name(cf->cycle, &name, 1) != WD_OK) {
        return WD_CONF_ERROR;
    }

    /* C-string tests: open() and glob() see the name up to a NUL */
    if (wd_strncmp(name.data, fz_prefix, wd_strlen(fz_prefix)) != 0
        || wd_strstr(name.data, "..") != NULL)
    {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "fuzz: include \"%s\" is outside the sandbox",
                          name.data);
        return WD_CONF_ERROR;
    }

    return wd_conf_include(cf, cmd, conf);
}

static wd_command_t fz_include_commands[] = {

    { wd_string("include"),
      WD_ANY_CONF | WD_CONF_TAKE1,
      fz_include,
      0,
      0,
      NULL },

    wd_null_command
};

static wd_module_t fz_include_module = {
    WD_MODULE_V1,
    NULL,
    fz_include_commands,
    WD_CONF_MODULE,
    NULL, NULL, NULL, NULL, NULL
};


/* ---- set-up ------------------------------------------------------------ */

static void
fz_remove_fixtures(void)
{
    char path[128];
    size_t i;

    for (i = wd_nelems(fz_fixtures); i-- > 0; /* void */) {
        snprintf(path, sizeof(path), "%s%s", fz_prefix, fz_fixtures[i].name);

        if (fz_fixtures[i].text == NULL) {
            (void) rmdir(path);
        } else {
            (void) unlink(path);
        }
    }

    (void) rmdir(fz_prefix);
}

static void
fz_make_fixtures(void)
{
    char path[128];
    size_t i;
    int fd;

    for (i = 0; i < wd_nelems(fz_fixtures); i++) {
        snprintf(path, sizeof(path), "%s%s", fz_prefix, fz_fixtures[i].name);

        if (fz_fixtures[i].text == NULL) {
            (void) mkdir(path, 0755);
            continue;
        }

        if (strcmp(fz_fixtures[i].text, "|") == 0) {
            (void) mkfifo(path, 0644);
            continue;
        }

        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        if (fd != -1) {
            (void) wd_write_fd(fd, (void *) fz_fixtures[i].text,
                               strlen(fz_fixtures[i].text));
            close(fd);
        }
    }
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_null_file.fd = getenv("WD_FUZZ_LOG")
                          ? STDERR_FILENO
                          : open("/dev/null", O_WRONLY | O_CLOEXEC);
    fz_log.file = &fz_null_file;
    fz_log.log_level = WD_LOG_DEBUG;    /* format every message */

    wd_time_init();
    wd_pid = getpid();
    wd_use_stderr = 0;

    if (fz_null_file.fd == -1 || wd_os_init(&fz_log) != WD_OK
        || wd_preinit_modules() != WD_OK)
    {
        fprintf(stderr, "conf_parser: set-up failed\n");
        exit(EXIT_FAILURE);
    }

    /* the one module is also the "conf" module's slot, for the pointer
     * wd_conf_target computes (it is never dereferenced) */
    fz_include_module.index = wd_conf_module.index;
    fz_include_module.name = "fuzz_include_module";

    strcpy(fz_prefix, "/tmp/wd-fuzz-conf.XXXXXX");

    if (mkdtemp(fz_prefix) == NULL) {
        fprintf(stderr, "conf_parser: mkdtemp() failed\n");
        exit(EXIT_FAILURE);
    }

    strcat(fz_prefix, "/");
    fz_make_fixtures();
    atexit(fz_remove_fixtures);

    return 0;
}

/* A cycle as wd_init_cycle builds one before it reads the file. */
static wd_cycle_t *
fz_cycle(void)
{
    wd_uint_t i;
    wd_pool_t *pool;
    wd_cycle_t *cycle;
    wd_core_module_t *module;

    pool = wd_create_pool(WD_CYCLE_POOL_SIZE, &fz_log);

    if (pool == NULL) {
        return NULL;
    }

    cycle = wd_pcalloc(pool, sizeof(wd_cycle_t));

    if (cycle == NULL) {
        goto failed;
    }

    cycle->pool = pool;
    cycle->log = &fz_log;
    cycle->prefix.data = (u_char *) fz_prefix;
    cycle->prefix.len = strlen(fz_prefix);
    cycle->conf_prefix = cycle->prefix;
    wd_str_set(&cycle->error_log, "stderr");

    cycle->config_dump = wd_array_create(pool, 4, sizeof(wd_conf_dump_t));

    if (cycle->config_dump == NULL
        || wd_array_init(&cycle->paths, pool, 4, sizeof(wd_path_t *))
               != WD_OK
        || wd_list_init(&cycle->open_files, pool, 4, sizeof(wd_open_file_t))
               != WD_OK
        || wd_list_init(&cycle->shared_memory, pool, 1,
                        sizeof(wd_shm_zone_t)) != WD_OK
        || wd_array_init(&cycle->listening, pool, 4, sizeof(wd_listening_t))
               != WD_OK)
    {
        goto failed;
    }

    /* the sandboxed include first, so it is found before the real one */
    cycle->modules = wd_pcalloc(pool, (wd_max_module + 2)
                                          * sizeof(wd_module_t *));
    cycle->conf_ctx = wd_pcalloc(pool, wd_max_module * sizeof(void *));

    if (cycle->modules == NULL || cycle->conf_ctx == NULL) {
        goto failed;
    }

    cycle->modules[0] = &fz_include_module;
    wd_memcpy(&cycle->modules[1], wd_modules,
              wd_max_module * sizeof(wd_module_t *));
    cycle->modules_n = wd_max_module + 1;

    for (i = 0; cycle->modules[i]; i++) {
        if (cycle->modules[i]->type != WD_CORE_MODULE) {
            continue;
        }

        module = cycle->modules[i]->ctx;

        if (module->create_conf) {
            cycle->conf_ctx[cycle->modules[i]->index] =
                module->create_conf(cycle);

            if (cycle->conf_ctx[cycle->modules[i]->index] == NULL) {
                goto failed;
            }
        }
    }

    return cycle;

failed:

    wd_destroy_pool(pool);

    return NULL;
}

static void
fz_init_confs(wd_cycle_t *cycle)
{
    wd_uint_t i;
    wd_core_module_t *module;

    for (i = 0; cycle->modules[i]; i++) {
        if (cycle->modules[i]->type != WD_CORE_MODULE) {
            continue;
        }

        module = cycle->modules[i]->ctx;

        if (module->init_conf
            && module->init_conf(cycle,
                                 cycle->conf_ctx[cycle->modules[i]->index])
                   == WD_CONF_ERROR)
        {
            return;
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *rv;
    u_char *text;
    wd_conf_t cf;
    wd_cycle_t *cycle;
    wd_str_t name = wd_string("fuzz.conf");

    cycle = fz_cycle();

    if (cycle == NULL) {
        return 0;
    }

    /* a copy of exactly the input's size, outside the pools, so a read
     * past its end is caught */
    text = malloc(size ? size : 1);

    if (text == NULL) {
        wd_destroy_pool(cycle->pool);
        return 0;
    }

    memcpy(text, data, size);

    wd_memzero(&cf, sizeof(wd_conf_t));
    cf.args = wd_array_create(cycle->pool, 10, sizeof(wd_str_t));
    cf.temp_pool = wd_create_pool(WD_CYCLE_POOL_SIZE, &fz_log);
    cf.ctx = cycle->conf_ctx;
    cf.cycle = cycle;
    cf.pool = cycle->pool;
    cf.log = &fz_log;
    cf.module_type = WD_CORE_MODULE;
    cf.cmd_type = WD_MAIN_CONF;

    if (cf.args != NULL && cf.temp_pool != NULL) {
        if (size > 0 && text[0] == 0x01) {
            cycle->conf_param.data = text + 1;
            cycle->conf_param.len = size - 1;
            rv = wd_conf_param(&cf);

        } else {
            rv = wd_conf_parse_text(&cf, &name, text, size);
        }

        if (rv == WD_CONF_OK) {
            fz_init_confs(cycle);
        }
    }

    if (cf.temp_pool) {
        wd_destroy_pool(cf.temp_pool);
    }

    wd_destroy_pool(cycle->pool);
    free(text);

    return 0;
}
