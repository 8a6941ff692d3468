/*
 * The master, worker and single-process loops.
 *
 * The master never serves: it waits in sigsuspend() for signals, reaps
 * and respawns workers, reloads, and stops.  Workers run the event loop;
 * the master tells them what to do with signals, which are blocked
 * except while a process sleeps, so none is missed.
 */

#include <wd_process.h>

static void wd_start_worker_processes(wd_cycle_t *cycle, wd_int_t n,
    wd_int_t type);
static void wd_worker_process_cycle(wd_cycle_t *cycle, void *data);
static void wd_master_process_exit(wd_cycle_t *cycle);

static const char *wd_worker_name = "worker process";

static void
wd_master_title(void)
{
    char title[1024], *p, *last;
    int i;

    p = title;
    last = title + sizeof(title);
    p += snprintf(p, last - p, "master process");

    for (i = 0; i < wd_argc && p < last - 1; i++) {
        p += snprintf(p, last - p, " %s", wd_argv[i]);
    }

    wd_setproctitle(title);
}

static void
wd_start_worker_processes(wd_cycle_t *cycle, wd_int_t n, wd_int_t type)
{
    wd_int_t i;

    for (i = 0; i < n; i++) {
        if (wd_spawn_process(cycle, wd_worker_process_cycle,
                             (void *) (intptr_t) i, wd_worker_name, type)
            == -1)
        {
            return;
        }
    }
}

/* Reload: a new cycle, new workers, and the old workers told to quit.
 * If the configuration is broken the old cycle simply stays. */
static void
wd_master_reconfigure(wd_cycle_t **cyclep)
{
    wd_cycle_t *cycle, *old;
    wd_core_conf_t *ccf;

    old = *cyclep;

    wd_log_error(WD_LOG_NOTICE, old->log, 0, "reconfiguring");

    cycle = wd_init_cycle(old);

    if (cycle == NULL) {
        return;
    }

    wd_cycle = cycle;
    *cyclep = cycle;

    ccf = wd_core_conf(cycle);

    wd_start_worker_processes(cycle, ccf->worker_processes,
                              WD_PROCESS_JUST_RESPAWN);

    wd_signal_workers(cycle, SIGQUIT);

    /* the old workers have their own copy of it: the master's can go */
    wd_destroy_pool(old->pool);
}

static void
wd_master_reopen(wd_cycle_t *cycle)
{
    wd_core_conf_t *ccf;

    ccf = wd_core_conf(cycle);

    wd_log_error(WD_LOG_NOTICE, cycle->log, 0, "reopening logs");
    wd_reopen_files(cycle, ccf->user);
    wd_signal_workers(cycle, SIGUSR1);
}

/* Stop: TERM to workers, then KILL if they linger past a few seconds. */
static void
wd_master_terminate(wd_cycle_t *cycle, wd_msec_t *delay)
{
    struct itimerval itv;

    if (*delay == 0) {
        *delay = 50;
    }

    if (wd_sigalrm) {
        wd_sigalrm = 0;
        *delay *= 2;
    }

    if (*delay > 1000) {
        wd_signal_workers(cycle, SIGKILL);
    } else {
        wd_signal_workers(cycle, SIGTERM);
    }

    itv.it_interval.tv_sec = 0;
    itv.it_interval.tv_usec = 0;
    itv.it_value.tv_sec = *delay / 1000;
    itv.it_value.tv_usec = (*delay % 1000) * 1000;

    if (setitimer(ITIMER_REAL, &itv, NULL) == -1) {
        wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                     "setitimer() failed");
    }
}

void
wd_master_process_cycle(wd_cycle_t *cycle)
{
    wd_uint_t live, quitting;
    wd_msec_t delay;
    wd_core_conf_t *ccf;
    sigset_t empty;

    if (wd_block_signals(cycle->log) != WD_OK) {
        return;
    }

    sigemptyset(&empty);
    wd_master_title();

    ccf = wd_core_conf(cycle);

    wd_start_worker_processes(cycle, ccf->worker_processes,
                              WD_PROCESS_RESPAWN);

    live = 1;
    quitting = 0;
    delay = 0;

    for (;;) {
        sigsuspend(&empty);

        wd_time_update();
        wd_log_received_signals(cycle->log);

        if (wd_reap) {
            wd_reap = 0;
            live = wd_reap_children(cycle);
        }

        if (!live && (wd_terminate || wd_quit)) {
            wd_master_process_exit(cycle);
        }

        if (wd_terminate) {
            wd_master_terminate(cycle, &delay);
            continue;
        }

        if (wd_quit) {
            if (!quitting) {
                quitting = 1;
                wd_signal_workers(cycle, SIGQUIT);
                wd_close_listening_sockets(cycle);
            }
            continue;
        }

        if (wd_reconfigure) {
            wd_reconfigure = 0;

            if (wd_new_binary) {
                /* rollback of an upgrade: this binary serves again with
                 * the configuration it has */
                wd_log_error(WD_LOG_NOTICE, cycle->log, 0,
                             "starting worker processes again");
                wd_start_worker_processes(cycle, ccf->worker_processes,
                                          WD_PROCESS_RESPAWN);
                wd_noaccepting = 0;
                live = 1;
                continue;
            }

            wd_master_reconfigure(&cycle);
            ccf = wd_core_conf(cycle);
            live = 1;
        }

        if (wd_restart) {
            /* the new binary died after WINCH stopped our workers */
            wd_restart = 0;
            wd_start_worker_processes(cycle, ccf->worker_processes,
                                      WD_PROCESS_RESPAWN);
            live = 1;
        }

        if (wd_reopen) {
            wd_reopen = 0;
            wd_master_reopen(cycle);
        }

        if (wd_change_binary) {
            wd_change_binary = 0;
            wd_log_error(WD_LOG_NOTICE, cycle->log, 0,
                         "changing binary");
            wd_new_binary = wd_exec_new_binary(cycle, wd_argv);

            if (wd_new_binary == -1) {
                wd_new_binary = 0;
            }
        }

        if (wd_noaccept) {
            /* WINCH: the workers finish what they have and exit; the
             * master stays to take the traffic back on HUP */
            wd_noaccept = 0;
            wd_noaccepting = 1;
            wd_signal_workers(cycle, SIGQUIT);
        }
    }
}

static void
wd_master_process_exit(wd_cycle_t *cycle)
{
    wd_uint_t i;

    wd_delete_pidfile(cycle);

    wd_log_error(WD_LOG_NOTICE, cycle->log, 0, "exit");

    for (i = 0; cycle->modules[i]; i++) {
        if (cycle->modules[i]->exit_master) {
            cycle->modules[i]->exit_master(cycle);
        }
    }

    wd_close_listening_sockets(cycle);

    exit(0);
}

/* Drops root, sets limits and affinity, then starts the modules. */
static void
wd_worker_privileges(wd_cycle_t *cycle, wd_core_conf_t *ccf)
{
    if (geteuid() != 0 || ccf->user == (uid_t) WD_CONF_UNSET_UINT) {
        return;
    }

    if (setgid(ccf->group) == -1) {
        wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                     "setgid(%ld) failed", (long) ccf->group);
        exit(2);
    }

    if (initgroups(ccf->username, ccf->group) == -1) {
        wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                     "initgroups(%s, %ld) failed", ccf->username,
                     (long) ccf->group);
    }

    if (setuid(ccf->user) == -1) {
        wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                     "setuid(%ld) failed", (long) ccf->user);
        exit(2);
    }

    /* a process that changed its uid does not dump core otherwise */
    if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == -1) {
        wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                     "prctl(PR_SET_DUMPABLE) failed");
    }
}

static void
wd_worker_limits(wd_cycle_t *cycle, wd_core_conf_t *ccf)
{
    struct rlimit rlmt;

    if (ccf->priority != 0 && setpriority(PRIO_PROCESS, 0, ccf->priority)
                                  == -1)
    {
        wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                     "setpriority(%d) failed", ccf->priority);
    }

    if (ccf->rlimit_nofile != WD_CONF_UNSET) {
        rlmt.rlim_cur = (rlim_t) ccf->rlimit_nofile;
        rlmt.rlim_max = (rlim_t) ccf->rlimit_nofile;

        if (setrlimit(RLIMIT_NOFILE, &rlmt) == -1) {
            wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                         "setrlimit(RLIMIT_NOFILE, %ld) failed",
                         (long) ccf->rlimit_nofile);
        }
    }

    if (ccf->rlimit_core != WD_CONF_UNSET) {
        rlmt.rlim_cur = (rlim_t) ccf->rlimit_core;
        rlmt.rlim_max = (rlim_t) ccf->rlimit_core;

        if (setrlimit(RLIMIT_CORE, &rlmt) == -1) {
            wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                         "setrlimit(RLIMIT_CORE, %lld) failed",
                         (long long) ccf->rlimit_core);
        }
    }
}

static void
wd_worker_process_init(wd_cycle_t *cycle, wd_uint_t worker)
{
    wd_uint_t i;
    cpu_set_t *cpus;
    char **env;
    wd_core_conf_t *ccf;

    ccf = wd_core_conf(cycle);

    env = wd_set_environment(cycle, NULL);

    if (env == NULL) {
        exit(2);
    }

    environ = env;

    wd_worker_limits(cycle, ccf);
    wd_worker_privileges(cycle, ccf);

    cpus = wd_get_cpu_affinity(worker);

    if (cpus && sched_setaffinity(0, sizeof(cpu_set_t), cpus) == -1) {
        wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                     "sched_setaffinity() failed");
    }

    if (ccf->working_directory.len
        && chdir((char *) ccf->working_directory.data) == -1)
    {
        wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                     "chdir(\"%s\") failed", ccf->working_directory.data);
        exit(2);
    }

    wd_event_wait_sigmask = &wd_wait_sigmask;

    for (i = 0; cycle->modules[i]; i++) {
        if (cycle->modules[i]->init_process
            && cycle->modules[i]->init_process(cycle) == WD_ERROR)
        {
            exit(2);
        }
    }
}

static void
wd_worker_process_exit(wd_cycle_t *cycle)
{
    wd_uint_t i;

    for (i = 0; cycle->modules[i]; i++) {
        if (cycle->modules[i]->exit_process) {
            cycle->modules[i]->exit_process(cycle);
        }
    }

    wd_log_error(WD_LOG_NOTICE, cycle->log, 0, "exit");

    exit(0);
}

/* worker_shutdown_timeout passed: what is still open is closed now. */
static void
wd_shutdown_timer_handler(wd_event_t *ev)
{
    wd_uint_t i;
    wd_cycle_t *cycle;
    wd_connection_t *c;

    cycle = ev->data;
    c = cycle->connections;

    for (i = 0; i < cycle->connection_n; i++) {
        if (c[i].fd == WD_INVALID_FD || c[i].read == NULL
            || c[i].read->accept || c[i].read->channel)
        {
            continue;
        }

        wd_log_error(WD_LOG_INFO, c[i].log, 0, "*%lu shutdown timeout",
                     (unsigned long) c[i].number);

        c[i].close = 1;
        c[i].error = 1;
        c[i].read->handler(c[i].read);
    }
}

static void
wd_worker_start_shutdown(wd_cycle_t *cycle)
{
    static wd_event_t timer;
    wd_core_conf_t *ccf;

    wd_log_error(WD_LOG_NOTICE, cycle->log, 0, "gracefully shutting down");
    wd_setproctitle("worker process is shutting down");

    wd_exiting = 1;

    ccf = wd_core_conf(cycle);

    if (ccf->shutdown_timeout) {
        timer.handler = wd_shutdown_timer_handler;
        timer.data = cycle;
        timer.log = cycle->log;
        timer.cancelable = 1;
        wd_event_add_timer(&timer, ccf->shutdown_timeout);
    }

    wd_disable_accept_events(cycle);
    wd_close_listening_sockets(cycle);
    wd_close_idle_connections(cycle);
}

static void
wd_worker_process_cycle(wd_cycle_t *cycle, void *data)
{
    wd_uint_t worker;

    worker = (wd_uint_t) (intptr_t) data;

    wd_process = WD_PROCESS_WORKER;
    wd_worker = worker;

    wd_worker_process_init(cycle, worker);

    wd_setproctitle(wd_worker_name);

    for (;;) {
        if (wd_exiting && wd_event_no_timers_left()) {
            wd_log_error(WD_LOG_NOTICE, cycle->log, 0, "exiting");
            wd_worker_process_exit(cycle);
        }

        wd_process_events_and_timers(cycle);

        wd_log_received_signals(cycle->log);

        if (wd_terminate) {
            wd_log_error(WD_LOG_NOTICE, cycle->log, 0, "exiting");
            wd_worker_process_exit(cycle);
        }

        if (wd_quit) {
            wd_quit = 0;

            if (!wd_exiting) {
                wd_worker_start_shutdown(cycle);
            }
        }

        if (wd_reopen) {
            wd_reopen = 0;
            wd_log_error(WD_LOG_NOTICE, cycle->log, 0, "reopening logs");
            wd_reopen_files(cycle, (uid_t) -1);
        }
    }
}

void
wd_single_process_cycle(wd_cycle_t *cycle)
{
    wd_uint_t i;

    if (wd_block_signals(cycle->log) != WD_OK) {
        exit(2);
    }

    if (wd_set_environment(cycle, NULL) == NULL) {
        exit(2);
    }

    wd_event_wait_sigmask = &wd_wait_sigmask;

    for (i = 0; cycle->modules[i]; i++) {
        if (cycle->modules[i]->init_process
            && cycle->modules[i]->init_process(cycle) == WD_ERROR)
        {
            exit(2);
        }
    }

    for (;;) {
        wd_process_events_and_timers(cycle);

        wd_log_received_signals(cycle->log);

        if (wd_terminate || wd_quit) {
            for (i = 0; cycle->modules[i]; i++) {
                if (cycle->modules[i]->exit_process) {
                    cycle->modules[i]->exit_process(cycle);
                }
            }

            wd_delete_pidfile(cycle);
            wd_log_error(WD_LOG_NOTICE, cycle->log, 0, "exit");
            exit(0);
        }

        if (wd_reconfigure) {
            wd_reconfigure = 0;
            wd_log_error(WD_LOG_NOTICE, cycle->log, 0,
                         "reconfiguring is not supported without a master "
                         "process, ignoring");
        }

        if (wd_reopen) {
            wd_reopen = 0;
            wd_log_error(WD_LOG_NOTICE, cycle->log, 0, "reopening logs");
            wd_reopen_files(cycle, (uid_t) -1);
        }
    }
}
