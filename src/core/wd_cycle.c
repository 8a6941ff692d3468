/*
 * Building a cycle from the configuration, and the pid file.
 */

#include <wd_core.h>

wd_cycle_t *volatile wd_cycle;

static wd_int_t wd_test_pidfile(wd_str_t *name, wd_log_t *log);

wd_uint_t wd_test_config;
wd_uint_t wd_dump_config;
wd_uint_t wd_quiet_mode;

wd_uint_t wd_process;
wd_uint_t wd_worker;
pid_t wd_pid;
pid_t wd_parent;
wd_uint_t wd_ncpu;
wd_uint_t wd_inherited;
wd_uint_t wd_daemonized;
wd_uint_t wd_exiting;
wd_uint_t wd_terminate;
wd_uint_t wd_quit;
pid_t wd_new_binary;

static wd_int_t
wd_cycle_copy_names(wd_cycle_t *cycle, wd_cycle_t *old)
{
    wd_str_t *names[] = { &cycle->conf_prefix, &cycle->prefix,
                          &cycle->error_log, &cycle->conf_file,
                          &cycle->conf_param };
    wd_str_t *olds[] = { &old->conf_prefix, &old->prefix, &old->error_log,
                         &old->conf_file, &old->conf_param };
    wd_uint_t i;

    for (i = 0; i < wd_nelems(names); i++) {
        if (wd_pstrdupz(cycle->pool, names[i], olds[i]->data, olds[i]->len)
            != WD_OK)
        {
            return WD_ERROR;
        }
    }

    return WD_OK;
}

static wd_int_t
wd_cycle_init_lists(wd_cycle_t *cycle, wd_cycle_t *old)
{
    wd_uint_t n;
    wd_pool_t *pool;

    pool = cycle->pool;

    n = old->paths.nelts ? old->paths.nelts : 10;

    if (wd_array_init(&cycle->paths, pool, n, sizeof(wd_path_t *)) != WD_OK) {
        return WD_ERROR;
    }

    if (wd_list_init(&cycle->open_files, pool, 20, sizeof(wd_open_file_t))
        != WD_OK)
    {
        return WD_ERROR;
    }

    if (wd_list_init(&cycle->shared_memory, pool, 1, sizeof(wd_shm_zone_t))
        != WD_OK)
    {
        return WD_ERROR;
    }

    n = old->listening.nelts ? old->listening.nelts : 10;

    if (wd_array_init(&cycle->listening, pool, n, sizeof(wd_listening_t))
        != WD_OK)
    {
        return WD_ERROR;
    }

    wd_memzero(cycle->listening.elts, n * sizeof(wd_listening_t));
    wd_queue_init(&cycle->reusable_connections_queue);

    if (wd_dump_config) {
        cycle->config_dump = wd_array_create(pool, 4, sizeof(wd_conf_dump_t));

        if (cycle->config_dump == NULL) {
            return WD_ERROR;
        }
    }

    return WD_OK;
}

static wd_int_t
wd_cycle_hostname(wd_cycle_t *cycle)
{
    char hostname[HOST_NAME_MAX + 1];

    if (gethostname(hostname, sizeof(hostname)) == -1) {
        wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                     "gethostname() failed");
        return WD_ERROR;
    }

    hostname[HOST_NAME_MAX] = '\0';
    cycle->hostname.len = wd_strlen(hostname);
    cycle->hostname.data = wd_pnalloc(cycle->pool, cycle->hostname.len);

    if (cycle->hostname.data == NULL) {
        return WD_ERROR;
    }

    wd_strlow(cycle->hostname.data, (u_char *) hostname,
              cycle->hostname.len);

    return WD_OK;
}

static wd_int_t
wd_cycle_create_core_confs(wd_cycle_t *cycle)
{
    void *rv;
    wd_uint_t i;
    wd_core_module_t *module;

    cycle->modules = wd_pcalloc(cycle->pool,
                                (wd_max_module + 1) * sizeof(wd_module_t *));

    if (cycle->modules == NULL) {
        return WD_ERROR;
    }

    wd_memcpy(cycle->modules, wd_modules,
              wd_max_module * sizeof(wd_module_t *));
    cycle->modules_n = wd_max_module;

    cycle->conf_ctx = wd_pcalloc(cycle->pool, wd_max_module * sizeof(void *));

    if (cycle->conf_ctx == NULL) {
        return WD_ERROR;
    }

    for (i = 0; cycle->modules[i]; i++) {
        if (cycle->modules[i]->type != WD_CORE_MODULE) {
            continue;
        }

        module = cycle->modules[i]->ctx;

        if (module->create_conf) {
            rv = module->create_conf(cycle);

            if (rv == NULL) {
                return WD_ERROR;
            }

            cycle->conf_ctx[cycle->modules[i]->index] = rv;
        }
    }

    return WD_OK;
}

static wd_int_t
wd_cycle_init_core_confs(wd_cycle_t *cycle)
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
            return WD_ERROR;
        }
    }

    return WD_OK;
}

/* Reads the -g string and the configuration file into the cycle. */
static wd_int_t
wd_cycle_read_conf(wd_cycle_t *cycle, wd_log_t *log)
{
    wd_conf_t conf;
    wd_int_t rc;

    wd_memzero(&conf, sizeof(wd_conf_t));

    conf.args = wd_array_create(cycle->pool, 10, sizeof(wd_str_t));
    conf.temp_pool = wd_create_pool(WD_CYCLE_POOL_SIZE, log);

    if (conf.args == NULL || conf.temp_pool == NULL) {
        if (conf.temp_pool) {
            wd_destroy_pool(conf.temp_pool);
        }
        return WD_ERROR;
    }

    conf.ctx = cycle->conf_ctx;
    conf.cycle = cycle;
    conf.pool = cycle->pool;
    conf.log = log;
    conf.module_type = WD_CORE_MODULE;
    conf.cmd_type = WD_MAIN_CONF;

    rc = WD_OK;

    if (wd_conf_param(&conf) != WD_CONF_OK
        || wd_conf_parse(&conf, &cycle->conf_file) != WD_CONF_OK)
    {
        rc = WD_ERROR;
    }

    wd_destroy_pool(conf.temp_pool);

    return rc;
}

static wd_int_t
wd_cycle_open_files(wd_cycle_t *cycle)
{
    wd_uint_t i;
    wd_list_part_t *part;
    wd_open_file_t *file;

    part = &cycle->open_files.part;
    file = part->elts;

    for (i = 0; /* void */; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }
            part = part->next;
            file = part->elts;
            i = 0;
        }

        if (file[i].name.len == 0) {
            continue;
        }

        file[i].fd = wd_open_file(file[i].name.data, WD_FILE_APPEND,
                                  WD_FILE_CREATE_OR_OPEN,
                                  WD_FILE_DEFAULT_ACCESS);

        if (file[i].fd == WD_INVALID_FD) {
            wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                         "open() \"%s\" failed", file[i].name.data);
            return WD_ERROR;
        }
    }

    return WD_OK;
}

static void
wd_cycle_close_files(wd_cycle_t *cycle)
{
    wd_uint_t i;
    wd_list_part_t *part;
    wd_open_file_t *file;

    part = &cycle->open_files.part;
    file = part->elts;

    for (i = 0; /* void */; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }
            part = part->next;
            file = part->elts;
            i = 0;
        }

        if (file[i].fd == WD_INVALID_FD || file[i].fd == STDERR_FILENO) {
            continue;
        }

        if (file[i].flush) {
            file[i].flush(&file[i], cycle->log);
        }

        if (close(file[i].fd) == -1) {
            wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                         "close() \"%s\" failed", file[i].name.data);
        }

        file[i].fd = WD_INVALID_FD;
    }
}

/* Finds the old cycle's zone of the same name, size and owner. */
static wd_shm_zone_t *
wd_cycle_old_zone(wd_cycle_t *old, wd_shm_zone_t *zone)
{
    wd_uint_t i;
    wd_list_part_t *part;
    wd_shm_zone_t *oz;

    if (old->shared_memory.part.elts == NULL) {
        return NULL;
    }

    part = &old->shared_memory.part;
    oz = part->elts;

    for (i = 0; /* void */; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }
            part = part->next;
            oz = part->elts;
            i = 0;
        }

        if (zone->shm.name.len == oz[i].shm.name.len
            && wd_memcmp(zone->shm.name.data, oz[i].shm.name.data,
                         zone->shm.name.len) == 0
            && zone->tag == oz[i].tag && zone->shm.size == oz[i].shm.size
            && !zone->noreuse)
        {
            return &oz[i];
        }
    }
}

/* Maps each zone, reusing the old cycle's mapping where it still fits. */
static wd_int_t
wd_cycle_init_zones(wd_cycle_t *cycle, wd_cycle_t *old)
{
    wd_uint_t i;
    wd_list_part_t *part;
    wd_shm_zone_t *zone, *oz;

    part = &cycle->shared_memory.part;
    zone = part->elts;

    for (i = 0; /* void */; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                return WD_OK;
            }
            part = part->next;
            zone = part->elts;
            i = 0;
        }

        if (zone[i].shm.size == 0) {
            wd_log_error(WD_LOG_EMERG, cycle->log, 0,
                         "zero size shared memory zone \"%.*s\"",
                         wd_str_fmt(&zone[i].shm.name));
            return WD_ERROR;
        }

        zone[i].shm.log = cycle->log;
        oz = wd_cycle_old_zone(old, &zone[i]);

        if (oz && oz->shm.addr) {
            zone[i].shm.addr = oz->shm.addr;
            zone[i].shm.exists = 1;

            if (zone[i].init && zone[i].init(&zone[i], oz->data) != WD_OK) {
                return WD_ERROR;
            }

            oz->shm.addr = NULL;    /* now owned by the new cycle */
            continue;
        }

        if (wd_shm_alloc(&zone[i].shm) != WD_OK) {
            return WD_ERROR;
        }

        if (zone[i].init && zone[i].init(&zone[i], NULL) != WD_OK) {
            return WD_ERROR;
        }
    }
}

static void
wd_cycle_free_zones(wd_cycle_t *cycle)
{
    wd_uint_t i;
    wd_list_part_t *part;
    wd_shm_zone_t *zone;

    if (cycle->shared_memory.part.elts == NULL) {
        return;
    }

    part = &cycle->shared_memory.part;
    zone = part->elts;

    for (i = 0; /* void */; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                return;
            }
            part = part->next;
            zone = part->elts;
            i = 0;
        }

        wd_shm_free(&zone[i].shm);
    }
}

/* Everything after the configuration is read: logs, paths, shared
 * memory, sockets, module init. */
static wd_int_t
wd_cycle_apply(wd_cycle_t *cycle, wd_cycle_t *old)
{
    wd_core_conf_t *ccf;

    ccf = wd_core_conf(cycle);

    if (wd_log_open_default(cycle) != WD_OK) {
        return WD_ERROR;
    }

    if (wd_create_paths(cycle, ccf->user) != WD_OK) {
        return WD_ERROR;
    }

    if (wd_cycle_open_files(cycle) != WD_OK) {
        return WD_ERROR;
    }

    cycle->log = &cycle->new_log;
    cycle->pool->log = cycle->log;

    if (wd_cycle_init_zones(cycle, old) != WD_OK) {
        return WD_ERROR;
    }

    if (wd_clone_listening(cycle, NULL) != WD_OK
        || wd_open_listening_sockets(cycle) != WD_OK)
    {
        return WD_ERROR;
    }

    if (!wd_test_config) {
        wd_configure_listening_sockets(cycle);
    }

    return wd_init_modules(cycle);
}

/* The old cycle's sockets and files that the new one did not take.  For
 * the init cycle those are the inherited sockets no listen names. */
static void
wd_cycle_release_old(wd_cycle_t *old)
{
    wd_uint_t i;
    wd_listening_t *ls;

    ls = old->listening.elts;

    for (i = 0; i < old->listening.nelts; i++) {
        if (ls[i].remain || ls[i].fd == WD_INVALID_FD) {
            continue;
        }

        if (close(ls[i].fd) == -1) {
            wd_log_error(WD_LOG_EMERG, old->log, wd_errno,
                         "close() socket %s failed", ls[i].addr_text.data);
        }

        if (ls[i].sockaddr->sa_family == AF_UNIX && !ls[i].inherited) {
            (void) unlink(((struct sockaddr_un *) ls[i].sockaddr)->sun_path);
        }

        ls[i].fd = WD_INVALID_FD;
    }

    if (wd_is_init_cycle(old)) {
        return;
    }

    wd_cycle_close_files(old);
    wd_cycle_free_zones(old);
}

/* Undoes a failed cycle: its new sockets, files and zones. */
static void
wd_cycle_rollback(wd_cycle_t *cycle)
{
    wd_uint_t i;
    wd_listening_t *ls;

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {
        if (ls[i].fd == WD_INVALID_FD || !ls[i].open) {
            continue;
        }

        if (close(ls[i].fd) == -1) {
            wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                         "close() socket %s failed", ls[i].addr_text.data);
        }
    }

    wd_cycle_close_files(cycle);

    /* zones taken over from the old cycle go back to it untouched */
    if (cycle->old_cycle && !wd_is_init_cycle(cycle->old_cycle)) {
        wd_uint_t j;
        wd_list_part_t *part;
        wd_shm_zone_t *zone, *oz;

        part = &cycle->shared_memory.part;
        zone = part->elts;

        for (j = 0; /* void */; j++) {
            if (j >= part->nelts) {
                if (part->next == NULL) {
                    break;
                }
                part = part->next;
                zone = part->elts;
                j = 0;
            }

            if (zone[j].shm.exists) {
                oz = wd_cycle_old_zone(cycle->old_cycle, &zone[j]);
                if (oz) {
                    oz->shm.addr = zone[j].shm.addr;
                }
                zone[j].shm.addr = NULL;
            }
        }
    }

    wd_cycle_free_zones(cycle);
}

wd_cycle_t *
wd_init_cycle(wd_cycle_t *old_cycle)
{
    wd_log_t *log;
    wd_pool_t *pool;
    wd_cycle_t *cycle;

    wd_time_update();

    log = old_cycle->log;

    pool = wd_create_pool(WD_CYCLE_POOL_SIZE, log);

    if (pool == NULL) {
        return NULL;
    }

    pool->log = log;

    cycle = wd_pcalloc(pool, sizeof(wd_cycle_t));

    if (cycle == NULL) {
        wd_destroy_pool(pool);
        return NULL;
    }

    cycle->pool = pool;
    cycle->log = log;
    cycle->old_cycle = old_cycle;

    if (wd_cycle_copy_names(cycle, old_cycle) != WD_OK
        || wd_cycle_init_lists(cycle, old_cycle) != WD_OK
        || wd_cycle_hostname(cycle) != WD_OK
        || wd_cycle_create_core_confs(cycle) != WD_OK)
    {
        wd_destroy_pool(pool);
        return NULL;
    }

    if (wd_cycle_read_conf(cycle, log) != WD_OK) {
        wd_cycle_rollback(cycle);
        wd_destroy_pool(pool);
        return NULL;
    }

    if (wd_test_config && !wd_quiet_mode) {
        wd_log_stderr(0, "the configuration file %s syntax is ok",
                      cycle->conf_file.data);
    }

    if (wd_cycle_init_core_confs(cycle) != WD_OK) {
        wd_cycle_rollback(cycle);
        wd_destroy_pool(pool);
        return NULL;
    }

    if (wd_process == WD_PROCESS_SIGNALLER) {
        return cycle;
    }

    if (wd_test_config && wd_test_pidfile(&wd_core_conf(cycle)->pid, log)
                              != WD_OK)
    {
        wd_cycle_rollback(cycle);
        wd_destroy_pool(pool);
        return NULL;
    }

    if (wd_cycle_apply(cycle, old_cycle) != WD_OK) {
        cycle->log = log;
        wd_cycle_rollback(cycle);
        wd_destroy_pool(pool);
        return NULL;
    }

    wd_cycle_release_old(old_cycle);

    return cycle;
}

/* -t: can the pid file be written?  Like nginx, but a file created for
 * the check is removed again. */
static wd_int_t
wd_test_pidfile(wd_str_t *name, wd_log_t *log)
{
    wd_fd_t fd;
    wd_uint_t created;

    created = 0;
    fd = open((char *) name->data, O_RDWR | O_CLOEXEC);

    if (fd == -1 && wd_errno == WD_ENOENT) {
        fd = open((char *) name->data, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
                  WD_FILE_DEFAULT_ACCESS);
        created = 1;
    }

    if (fd == -1) {
        wd_log_error(WD_LOG_EMERG, log, wd_errno, "open() \"%s\" failed",
                     name->data);
        return WD_ERROR;
    }

    close(fd);

    if (created) {
        (void) unlink((char *) name->data);
    }

    return WD_OK;
}

wd_int_t
wd_create_pidfile(wd_str_t *name, wd_log_t *log)
{
    u_char pid[WD_INT_T_LEN + 2], *p;
    wd_fd_t fd;

    if (wd_process > WD_PROCESS_MASTER) {
        return WD_OK;
    }

    fd = wd_open_file(name->data, WD_FILE_RDWR, WD_FILE_TRUNCATE,
                      WD_FILE_DEFAULT_ACCESS);

    if (fd == WD_INVALID_FD) {
        wd_log_error(WD_LOG_EMERG, log, wd_errno, "open() \"%s\" failed",
                     name->data);
        return WD_ERROR;
    }

    p = wd_sprint_int(pid, wd_pid);
    *p++ = LF;

    if (wd_write_fd(fd, pid, p - pid) == -1) {
        wd_log_error(WD_LOG_EMERG, log, wd_errno, "write() to \"%s\" failed",
                     name->data);
        close(fd);
        return WD_ERROR;
    }

    if (close(fd) == -1) {
        wd_log_error(WD_LOG_ALERT, log, wd_errno, "close() \"%s\" failed",
                     name->data);
    }

    return WD_OK;
}

void
wd_delete_pidfile(wd_cycle_t *cycle)
{
    u_char *name;
    wd_core_conf_t *ccf;

    ccf = wd_core_conf(cycle);

    /* an old master, whose new binary still runs, has the .oldbin file */
    name = wd_new_binary ? ccf->oldpid.data : ccf->pid.data;

    if (unlink((char *) name) == -1 && wd_errno != WD_ENOENT) {
        wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                     "unlink() \"%s\" failed", name);
    }
}

static const struct {
    const char *name;
    int signo;
} wd_signal_names[] = {
    { "stop", SIGTERM },
    { "quit", SIGQUIT },
    { "reopen", SIGUSR1 },
    { "reload", SIGHUP },
};

wd_int_t
wd_signal_process(wd_cycle_t *cycle, char *sig)
{
    u_char *text;
    size_t len;
    wd_int_t pid, rc;
    wd_uint_t i;
    wd_core_conf_t *ccf;

    ccf = wd_core_conf(cycle);
    text = NULL;
    len = 0;

    rc = wd_read_whole_file(cycle->pool, ccf->pid.data, 64, &text, &len);

    if (rc == WD_ERROR) {
        wd_log_error(WD_LOG_ERR, cycle->log, wd_errno,
                     "open() \"%s\" failed", ccf->pid.data);
        return 1;
    }

    while (len && (text[len - 1] == LF || text[len - 1] == CR)) {
        len--;
    }

    pid = (len == 0) ? WD_ERROR : wd_atoi(text, len);

    if (pid == WD_ERROR) {
        wd_log_error(WD_LOG_ERR, cycle->log, 0,
                     "invalid PID number \"%.*s\" in \"%s\"", (int) len,
                     text, ccf->pid.data);
        return 1;
    }

    for (i = 0; i < wd_nelems(wd_signal_names); i++) {
        if (wd_strcmp(sig, wd_signal_names[i].name) != 0) {
            continue;
        }

        if (kill((pid_t) pid, wd_signal_names[i].signo) != -1) {
            return 0;
        }

        wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno, "kill(%ld, %d) failed",
                     (long) pid, wd_signal_names[i].signo);
        return 1;
    }

    return 1;
}

/* Opens one log file again; as root, hands it to the worker user so the
 * workers can reopen it themselves. */
static wd_fd_t
wd_reopen_file(wd_cycle_t *cycle, wd_open_file_t *file, uid_t user)
{
    wd_fd_t fd;
    struct stat fi;

    fd = wd_open_file(file->name.data, WD_FILE_APPEND, WD_FILE_CREATE_OR_OPEN,
                      WD_FILE_DEFAULT_ACCESS);

    if (fd == WD_INVALID_FD) {
        wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                     "open() \"%s\" failed", file->name.data);
        return WD_INVALID_FD;
    }

    if (user == (uid_t) -1) {
        return fd;
    }

    if (fstat(fd, &fi) == -1) {
        wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                     "stat() \"%s\" failed", file->name.data);
        close(fd);
        return WD_INVALID_FD;
    }

    if (fi.st_uid != user && fchown(fd, user, -1) == -1) {
        wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                     "chown(\"%s\", %ld) failed", file->name.data,
                     (long) user);
        close(fd);
        return WD_INVALID_FD;
    }

    if ((fi.st_mode & (S_IRUSR | S_IWUSR)) != (S_IRUSR | S_IWUSR)
        && fchmod(fd, fi.st_mode | S_IRUSR | S_IWUSR) == -1)
    {
        wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                     "chmod() \"%s\" failed", file->name.data);
        close(fd);
        return WD_INVALID_FD;
    }

    return fd;
}

void
wd_reopen_files(wd_cycle_t *cycle, uid_t user)
{
    wd_fd_t fd;
    wd_uint_t i;
    wd_list_part_t *part;
    wd_open_file_t *file;

    part = &cycle->open_files.part;
    file = part->elts;

    for (i = 0; /* void */; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }
            part = part->next;
            file = part->elts;
            i = 0;
        }

        if (file[i].name.len == 0) {
            continue;
        }

        if (file[i].flush) {
            file[i].flush(&file[i], cycle->log);
        }

        fd = wd_reopen_file(cycle, &file[i], user);

        if (fd == WD_INVALID_FD) {
            continue;
        }

        if (close(file[i].fd) == -1) {
            wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                         "close() \"%s\" failed", file[i].name.data);
        }

        file[i].fd = fd;
    }

    (void) wd_log_redirect_stderr(cycle);
}
