/*
 * Child processes (workers) and signals.
 */

#ifndef WD_PROCESS_H
#define WD_PROCESS_H

#include <wd_os.h>

#define WD_MAX_PROCESSES 1024

#define WD_PROCESS_NORESPAWN -1
#define WD_PROCESS_JUST_SPAWN -2
#define WD_PROCESS_RESPAWN -3
#define WD_PROCESS_JUST_RESPAWN -4
#define WD_PROCESS_DETACHED -5

typedef void (*wd_spawn_proc_pt)(wd_cycle_t *cycle, void *data);

typedef struct {
    pid_t pid;
    int status;
    wd_spawn_proc_pt proc;
    void *data;
    const char *name;

    unsigned respawn:1;
    unsigned just_spawn:1;      /* started by this reload: keep running */
    unsigned detached:1;        /* a new binary: not ours to respawn */
    unsigned exiting:1;         /* told to quit */
    unsigned exited:1;
} wd_process_t;

typedef struct {
    const char *path;
    const char *name;
    char *const *argv;
    char *const *envp;
} wd_exec_ctx_t;

extern wd_process_t wd_processes[WD_MAX_PROCESSES];
extern wd_int_t wd_last_process;

/* Flags the signal handlers set for the loops to act on. */
extern volatile sig_atomic_t wd_reap;
extern volatile sig_atomic_t wd_sigalrm;
extern volatile sig_atomic_t wd_reconfigure;
extern volatile sig_atomic_t wd_reopen;
extern volatile sig_atomic_t wd_change_binary;
extern volatile sig_atomic_t wd_noaccept;
extern wd_uint_t wd_noaccepting;     /* WINCH: workers told to stop */
extern wd_uint_t wd_restart;         /* start workers again */

/* The mask the worker's epoll wait runs with: signals arrive only then,
 * so none is lost between checking the flags and sleeping. */
extern sigset_t wd_wait_sigmask;

pid_t wd_spawn_process(wd_cycle_t *cycle, wd_spawn_proc_pt proc, void *data,
    const char *name, wd_int_t respawn);
pid_t wd_execute(wd_cycle_t *cycle, wd_exec_ctx_t *ctx);
/* USR2: renames the pid file to .oldbin and starts this binary again
 * with the listening sockets in WARDEN (and NGINX); returns its pid. */
pid_t wd_exec_new_binary(wd_cycle_t *cycle, char *const *argv);
/* Collects exited children; returns whether any worker still lives. */
wd_uint_t wd_reap_children(wd_cycle_t *cycle);
/* Logs the signals the handlers recorded since the last call. */
void wd_log_received_signals(wd_log_t *log);
void wd_signal_workers(wd_cycle_t *cycle, int signo);
/* Blocks the signals the loops handle (they are taken only while
 * waiting); returns the empty mask to wait with. */
wd_int_t wd_block_signals(wd_log_t *log);

#endif /* WD_PROCESS_H */
