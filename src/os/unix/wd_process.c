/*
 * Signals and child processes.  Handlers only record: a flag for the loop
 * and the signal with its sender for the log, written later outside the
 * handler.
 */

#include <wd_process.h>

wd_process_t wd_processes[WD_MAX_PROCESSES];
wd_int_t wd_last_process;

volatile sig_atomic_t wd_reap;
volatile sig_atomic_t wd_sigalrm;
volatile sig_atomic_t wd_reconfigure;
volatile sig_atomic_t wd_reopen;
volatile sig_atomic_t wd_change_binary;
volatile sig_atomic_t wd_noaccept;
wd_uint_t wd_noaccepting;
wd_uint_t wd_restart;

sigset_t wd_wait_sigmask;

typedef struct {
    int signo;
    const char *signame;
} wd_signal_t;

static const wd_signal_t wd_signals[] = {
    { SIGHUP, "SIGHUP" },
    { SIGUSR1, "SIGUSR1" },
    { SIGWINCH, "SIGWINCH" },
    { SIGTERM, "SIGTERM" },
    { SIGQUIT, "SIGQUIT" },
    { SIGUSR2, "SIGUSR2" },
    { SIGALRM, "SIGALRM" },
    { SIGINT, "SIGINT" },
    { SIGIO, "SIGIO" },
    { SIGCHLD, "SIGCHLD" },
};

/* The signals received, for the log: a small ring the handler fills. */
#define WD_SIGNAL_LOG_SIZE 32

static volatile sig_atomic_t wd_signal_log_head;
static volatile sig_atomic_t wd_signal_log_tail;
static struct {
    int signo;
    pid_t from;
    int ignored;
} wd_signal_log[WD_SIGNAL_LOG_SIZE];

static void
wd_signal_record(int signo, pid_t from, int ignored)
{
    int next;

    next = (wd_signal_log_head + 1) % WD_SIGNAL_LOG_SIZE;

    if (next == wd_signal_log_tail) {
        return;                 /* a burst of signals: drop the excess */
    }

    wd_signal_log[wd_signal_log_head].signo = signo;
    wd_signal_log[wd_signal_log_head].from = from;
    wd_signal_log[wd_signal_log_head].ignored = ignored;
    wd_signal_log_head = next;
}

/* The master and a single process treat signals alike; a worker only
 * knows stop, quit and reopen. */
static int
wd_signal_act(int signo)
{
    switch (signo) {

    case SIGQUIT:
        wd_quit = 1;
        return 0;

    case SIGTERM:
    case SIGINT:
        wd_terminate = 1;
        return 0;

    case SIGUSR1:
        wd_reopen = 1;
        return 0;

    case SIGHUP:
        if (wd_process == WD_PROCESS_WORKER) {
            return 1;
        }
        wd_reconfigure = 1;
        return 0;

    case SIGWINCH:
        if (wd_process != WD_PROCESS_MASTER || !wd_daemonized) {
            return 1;
        }
        wd_noaccept = 1;
        return 0;

    case SIGUSR2:
        /* no upgrade while a new binary runs, or in the new binary
         * while its parent still serves */
        if (wd_process != WD_PROCESS_MASTER || getppid() == wd_parent
            || wd_new_binary > 0)
        {
            return 1;
        }
        wd_change_binary = 1;
        return 0;

    case SIGALRM:
        wd_sigalrm = 1;
        return 0;

    case SIGCHLD:
        wd_reap = 1;
        return 0;

    default:
        return 0;
    }
}

static void
wd_signal_handler(int signo, siginfo_t *siginfo, void *ucontext)
{
    int err, ignored;

    err = errno;

    ignored = wd_signal_act(signo);

    if (signo != SIGALRM) {
        wd_signal_record(signo, siginfo ? siginfo->si_pid : 0, ignored);
    }

    errno = err;
}

static const char *
wd_signal_name(int signo)
{
    wd_uint_t i;

    for (i = 0; i < wd_nelems(wd_signals); i++) {
        if (wd_signals[i].signo == signo) {
            return wd_signals[i].signame;
        }
    }

    return "";
}

static const char *
wd_signal_action(int signo, int ignored)
{
    if (ignored) {
        return ", ignoring";
    }

    switch (signo) {
    case SIGQUIT:
        return ", shutting down";
    case SIGTERM:
    case SIGINT:
        return ", exiting";
    case SIGUSR1:
        return ", reopening logs";
    case SIGHUP:
        return ", reconfiguring";
    case SIGWINCH:
        return ", stop accepting connections";
    case SIGUSR2:
        return ", changing binary";
    default:
        return "";
    }
}

void
wd_log_received_signals(wd_log_t *log)
{
    int signo, ignored;
    pid_t from;

    while (wd_signal_log_tail != wd_signal_log_head) {
        signo = wd_signal_log[wd_signal_log_tail].signo;
        from = wd_signal_log[wd_signal_log_tail].from;
        ignored = wd_signal_log[wd_signal_log_tail].ignored;
        wd_signal_log_tail = (wd_signal_log_tail + 1) % WD_SIGNAL_LOG_SIZE;

        if (from) {
            wd_log_error(WD_LOG_NOTICE, log, 0,
                         "signal %d (%s) received from %ld%s", signo,
                         wd_signal_name(signo), (long) from,
                         wd_signal_action(signo, ignored));
        } else {
            wd_log_error(WD_LOG_NOTICE, log, 0, "signal %d (%s) received%s",
                         signo, wd_signal_name(signo),
                         wd_signal_action(signo, ignored));
        }
    }
}

wd_int_t
wd_init_signals(wd_log_t *log)
{
    wd_uint_t i;
    struct sigaction sa;

    for (i = 0; i < wd_nelems(wd_signals); i++) {
        wd_memzero(&sa, sizeof(struct sigaction));
        sa.sa_sigaction = wd_signal_handler;
        sa.sa_flags = SA_SIGINFO;
        sigemptyset(&sa.sa_mask);

        if (sigaction(wd_signals[i].signo, &sa, NULL) == -1) {
            wd_log_error(WD_LOG_EMERG, log, wd_errno,
                         "sigaction(%s) failed", wd_signals[i].signame);
            return WD_ERROR;
        }
    }

    wd_memzero(&sa, sizeof(struct sigaction));
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);

    if (sigaction(SIGPIPE, &sa, NULL) == -1
        || sigaction(SIGSYS, &sa, NULL) == -1)
    {
        wd_log_error(WD_LOG_EMERG, log, wd_errno, "sigaction(SIG_IGN) failed");
        return WD_ERROR;
    }

    sigemptyset(&wd_wait_sigmask);

    return WD_OK;
}

wd_int_t
wd_block_signals(wd_log_t *log)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGALRM);
    sigaddset(&set, SIGIO);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGWINCH);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGUSR2);

    if (sigprocmask(SIG_BLOCK, &set, NULL) == -1) {
        wd_log_error(WD_LOG_ALERT, log, wd_errno, "sigprocmask() failed");
        return WD_ERROR;
    }

    return WD_OK;
}

static wd_int_t
wd_process_slot(void)
{
    wd_int_t s;

    for (s = 0; s < wd_last_process; s++) {
        if (wd_processes[s].pid == -1) {
            return s;
        }
    }

    return s;
}

pid_t
wd_spawn_process(wd_cycle_t *cycle, wd_spawn_proc_pt proc, void *data,
    const char *name, wd_int_t respawn)
{
    pid_t pid;
    wd_int_t s;

    s = (respawn >= 0) ? respawn : wd_process_slot();

    if (s == WD_MAX_PROCESSES) {
        wd_log_error(WD_LOG_ALERT, cycle->log, 0,
                     "no more than %d processes can be spawned",
                     WD_MAX_PROCESSES);
        return -1;
    }

    pid = fork();

    switch (pid) {

    case -1:
        wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                     "fork() failed while spawning \"%s\"", name);
        return -1;

    case 0:
        wd_parent = wd_pid;
        wd_pid = getpid();
        proc(cycle, data);
        exit(0);

    default:
        break;
    }

    wd_log_error(WD_LOG_NOTICE, cycle->log, 0, "start %s %ld", name,
                 (long) pid);

    wd_processes[s].pid = pid;
    wd_processes[s].exited = 0;

    if (respawn >= 0) {
        return pid;
    }

    wd_processes[s].proc = proc;
    wd_processes[s].data = data;
    wd_processes[s].name = name;
    wd_processes[s].exiting = 0;
    wd_processes[s].respawn = (respawn == WD_PROCESS_RESPAWN
                               || respawn == WD_PROCESS_JUST_RESPAWN);
    wd_processes[s].just_spawn = (respawn == WD_PROCESS_JUST_SPAWN
                                  || respawn == WD_PROCESS_JUST_RESPAWN);
    wd_processes[s].detached = (respawn == WD_PROCESS_DETACHED);

    if (s == wd_last_process) {
        wd_last_process++;
    }

    return pid;
}

static void
wd_execute_proc(wd_cycle_t *cycle, void *data)
{
    wd_exec_ctx_t *ctx = data;

    if (execve(ctx->path, ctx->argv, ctx->envp) == -1) {
        wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                     "execve() failed while executing %s \"%s\"", ctx->name,
                     ctx->path);
    }

    exit(1);
}

pid_t
wd_execute(wd_cycle_t *cycle, wd_exec_ctx_t *ctx)
{
    return wd_spawn_process(cycle, wd_execute_proc, ctx, ctx->name,
                            WD_PROCESS_DETACHED);
}

/* Logs how a child ended; returns whether it may be respawned. */
static wd_uint_t
wd_log_child_status(wd_cycle_t *cycle, wd_process_t *p, pid_t pid, int status)
{
    const char *name;

    name = p ? p->name : "unknown process";

    if (WIFSIGNALED(status)) {
        wd_log_error(WD_LOG_ALERT, cycle->log, 0,
                     "%s %ld exited on signal %d%s", name, (long) pid,
                     WTERMSIG(status),
                     WCOREDUMP(status) ? " (core dumped)" : "");
        return 1;
    }

    wd_log_error(WD_LOG_NOTICE, cycle->log, 0, "%s %ld exited with code %d",
                 name, (long) pid, WEXITSTATUS(status));

    /* exit code 2 means the worker cannot start: respawning would loop */
    if (WEXITSTATUS(status) == 2 && p && p->respawn) {
        wd_log_error(WD_LOG_ALERT, cycle->log, 0,
                     "%s %ld exited with fatal code %d "
                     "and cannot be respawned", name, (long) pid,
                     WEXITSTATUS(status));
        return 0;
    }

    return 1;
}

/* The new binary died: this master is the one again. */
static void
wd_new_binary_exited(wd_cycle_t *cycle)
{
    wd_core_conf_t *ccf;

    ccf = wd_core_conf(cycle);

    if (rename((char *) ccf->oldpid.data, (char *) ccf->pid.data) == -1) {
        wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                     "rename() %s back to %s failed after "
                     "the new binary process \"%s\" exited",
                     ccf->oldpid.data, ccf->pid.data, wd_argv[0]);
    }

    wd_new_binary = 0;

    if (wd_noaccepting) {
        wd_restart = 1;
        wd_noaccepting = 0;
    }
}

static void
wd_collect_children(wd_cycle_t *cycle)
{
    int status;
    pid_t pid;
    wd_int_t i;
    wd_process_t *p;

    for (;;) {
        pid = waitpid(-1, &status, WNOHANG);

        if (pid <= 0) {
            if (pid == -1 && wd_errno == WD_EINTR) {
                continue;
            }
            return;
        }

        p = NULL;

        for (i = 0; i < wd_last_process; i++) {
            if (wd_processes[i].pid == pid) {
                p = &wd_processes[i];
                break;
            }
        }

        if (!wd_log_child_status(cycle, p, pid, status) && p) {
            p->respawn = 0;
        }

        if (p) {
            p->status = status;
            p->exited = 1;
        }

        if (pid == wd_new_binary) {
            wd_new_binary_exited(cycle);
        }
    }
}

wd_uint_t
wd_reap_children(wd_cycle_t *cycle)
{
    wd_int_t i;
    wd_uint_t live;
    wd_process_t *p;

    wd_collect_children(cycle);

    live = 0;

    for (i = 0; i < wd_last_process; i++) {
        p = &wd_processes[i];

        if (p->pid == -1) {
            continue;
        }

        if (!p->exited) {
            if (!p->detached) {
                live = 1;
            }
            continue;
        }

        if (p->respawn && !p->exiting && !wd_terminate && !wd_quit) {
            if (wd_spawn_process(cycle, p->proc, p->data, p->name, i)
                == -1)
            {
                wd_log_error(WD_LOG_ALERT, cycle->log, 0,
                             "could not respawn %s", p->name);
                continue;
            }

            live = 1;
            continue;
        }

        p->pid = -1;

        if (i == wd_last_process - 1) {
            wd_last_process--;
        }
    }

    return live;
}

void
wd_signal_workers(wd_cycle_t *cycle, int signo)
{
    wd_int_t i;
    wd_process_t *p;

    for (i = 0; i < wd_last_process; i++) {
        p = &wd_processes[i];

        if (p->detached || p->pid == -1 || p->exited) {
            continue;
        }

        if (p->just_spawn) {
            p->just_spawn = 0;
            continue;
        }

        if (p->exiting && signo == SIGQUIT) {
            continue;
        }

        if (kill(p->pid, signo) == -1) {
            wd_err_t err = wd_errno;

            wd_log_error(WD_LOG_ALERT, cycle->log, err,
                         "kill(%ld, %d) failed", (long) p->pid, signo);

            if (err == WD_ESRCH) {
                p->exited = 1;
                p->exiting = 0;
                wd_reap = 1;
            }

            continue;
        }

        if (signo == SIGQUIT || signo == SIGTERM) {
            p->exiting = 1;
        }
    }
}

/* "WARDEN=fd;fd;...;" naming every listening socket of the cycle. */
static char *
wd_listening_env(wd_cycle_t *cycle, const char *name)
{
    u_char *var, *p;
    wd_uint_t i;
    wd_listening_t *ls;

    var = wd_alloc(wd_strlen(name) + 1
                   + cycle->listening.nelts * (WD_INT_T_LEN + 1) + 2,
                   cycle->log);

    if (var == NULL) {
        return NULL;
    }

    p = wd_cpymem(var, name, wd_strlen(name));
    *p++ = '=';

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {
        if (ls[i].fd == WD_INVALID_FD) {
            continue;
        }

        p = wd_sprint_int(p, ls[i].fd);
        *p++ = ';';
    }

    *p = '\0';

    return (char *) var;
}

/* The listening sockets must survive execve(). */
static void
wd_listening_inheritable(wd_cycle_t *cycle)
{
    int flags;
    wd_uint_t i;
    wd_listening_t *ls;

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {
        if (ls[i].fd == WD_INVALID_FD) {
            continue;
        }

        flags = fcntl(ls[i].fd, F_GETFD);

        if (flags != -1 && (flags & FD_CLOEXEC)) {
            (void) fcntl(ls[i].fd, F_SETFD, flags & ~FD_CLOEXEC);
        }
    }
}

pid_t
wd_exec_new_binary(wd_cycle_t *cycle, char *const *argv)
{
    char **env, *warden_var, *nginx_var;
    pid_t pid;
    wd_uint_t n;
    wd_exec_ctx_t ctx;
    wd_core_conf_t *ccf;

    n = 2;
    env = wd_set_environment(cycle, &n);

    if (env == NULL) {
        return -1;
    }

    /* both names: an nginx binary put back in warden's place takes the
     * sockets as well */
    warden_var = wd_listening_env(cycle, "WARDEN");
    nginx_var = wd_listening_env(cycle, "NGINX");

    if (warden_var == NULL || nginx_var == NULL) {
        wd_free(env);
        wd_free(warden_var);
        wd_free(nginx_var);
        return -1;
    }

    env[n++] = warden_var;
    env[n++] = nginx_var;
    env[n] = NULL;

    wd_listening_inheritable(cycle);

    ccf = wd_core_conf(cycle);

    if (rename((char *) ccf->pid.data, (char *) ccf->oldpid.data) == -1) {
        wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                     "rename() %s to %s failed, "
                     "will not execute new binary process \"%s\"",
                     ccf->pid.data, ccf->oldpid.data, argv[0]);
        wd_free(env);
        wd_free(warden_var);
        wd_free(nginx_var);
        return -1;
    }

    ctx.path = argv[0];
    ctx.name = "new binary process";
    ctx.argv = argv;
    ctx.envp = env;

    pid = wd_execute(cycle, &ctx);

    if (pid == -1
        && rename((char *) ccf->oldpid.data, (char *) ccf->pid.data) == -1)
    {
        wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                     "rename() %s back to %s failed after "
                     "an unsuccessful execution attempt of \"%s\"",
                     ccf->oldpid.data, ccf->pid.data, argv[0]);
    }

    wd_free(env);
    wd_free(warden_var);
    wd_free(nginx_var);

    return pid;
}
