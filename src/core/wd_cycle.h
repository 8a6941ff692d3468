/*
 * The cycle: everything built from one reading of the configuration.  A
 * reload builds a new cycle next to the old one and frees the old one
 * whole once its workers are gone.
 */

#ifndef WD_CYCLE_H
#define WD_CYCLE_H

#define WD_CYCLE_POOL_SIZE WD_DEFAULT_POOL_SIZE

/* A temporary-file directory ("client_body_temp_path dir 1 2"). */
typedef struct {
    wd_str_t name;
    size_t len;                 /* of the level subdirectory part */
    size_t level[3];
    u_char *conf_file;          /* where it was configured, for errors */
    wd_uint_t line;
} wd_path_t;

typedef struct {
    wd_str_t name;
    size_t level[3];
} wd_path_init_t;

/* A listening socket; the fields after fd come from "listen" options. */
typedef struct wd_listening_s wd_listening_t;

struct wd_listening_s {
    wd_fd_t fd;

    struct sockaddr *sockaddr;
    socklen_t socklen;
    wd_str_t addr_text;         /* "127.0.0.1:8080" */
    int type;                   /* SOCK_STREAM */

    int backlog;
    int rcvbuf;                 /* -1: not set */
    int sndbuf;
    int keepidle;
    int keepintvl;
    int keepcnt;
    int fastopen;

    wd_connection_handler_pt handler;   /* for each accepted connection */
    void *servers;              /* the protocol's virtual servers */

    wd_log_t log;
    wd_log_t *logp;
    size_t pool_size;           /* for each connection's pool */
    wd_msec_t post_accept_timeout;

    wd_listening_t *previous;   /* the same socket in the old cycle */
    wd_connection_t *connection; /* the worker's accept event holder */

    wd_uint_t worker;           /* reuseport: the worker owning this copy */

    unsigned open:1;
    unsigned remain:1;          /* kept by the new cycle */
    unsigned ignore:1;          /* inherited but not configured */
    unsigned bound:1;           /* already bound */
    unsigned inherited:1;       /* from the previous binary */
    unsigned listen:1;
    unsigned nonblocking:1;
    unsigned wildcard:1;
    unsigned ipv6only:1;
    unsigned reuseport:1;
    unsigned add_reuseport:1;
    unsigned keepalive:2;       /* 0 unset, 1 on, 2 off */
    unsigned deferred_accept:1;
    unsigned delete_deferred:1;
    unsigned add_deferred:1;
};

struct wd_cycle_s {
    void ****conf_ctx;          /* each core module's conf, by index */
    wd_pool_t *pool;

    wd_log_t *log;
    wd_log_t new_log;           /* the error_log being configured */
    wd_uint_t log_use_stderr;

    wd_connection_t **files;    /* fd -> connection */
    wd_connection_t *free_connections;
    wd_uint_t free_connection_n;

    wd_module_t **modules;
    wd_uint_t modules_n;

    wd_queue_t reusable_connections_queue;  /* idle keep-alive ones */
    wd_uint_t reusable_connections_n;
    time_t connections_reuse_time;

    wd_array_t listening;       /* wd_listening_t */
    wd_array_t paths;           /* wd_path_t * */
    wd_array_t *config_dump;    /* wd_conf_dump_t, with -T */

    wd_list_t open_files;       /* wd_open_file_t */
    wd_list_t shared_memory;    /* wd_shm_zone_t */

    wd_uint_t connection_n;
    wd_uint_t files_n;

    wd_connection_t *connections;
    wd_event_t *read_events;
    wd_event_t *write_events;

    wd_cycle_t *old_cycle;

    wd_str_t conf_file;
    wd_str_t conf_param;
    wd_str_t conf_prefix;
    wd_str_t prefix;
    wd_str_t error_log;
    wd_str_t hostname;
};

/* The conf of the core module (main-level directives). */
typedef struct {
    wd_flag_t daemon;
    wd_flag_t master;

    wd_msec_t timer_resolution;
    wd_msec_t shutdown_timeout;

    wd_int_t worker_processes;
    wd_int_t debug_points;

    wd_int_t rlimit_nofile;
    off_t rlimit_core;

    int priority;

    wd_uint_t cpu_affinity_auto;
    wd_uint_t cpu_affinity_n;
    cpu_set_t *cpu_affinity;

    char *username;
    uid_t user;
    gid_t group;

    wd_str_t working_directory;
    wd_str_t lock_file;

    wd_str_t pid;
    wd_str_t oldpid;

    wd_array_t env;             /* wd_str_t: "NAME" or "NAME=value" */
    char **environment;

    wd_flag_t pcre_jit;
} wd_core_conf_t;

#define WD_DEBUG_POINTS_STOP 1
#define WD_DEBUG_POINTS_ABORT 2

#define wd_get_conf(conf_ctx, module) conf_ctx[module.index]
#define wd_core_conf(cycle)                                                    \
    ((wd_core_conf_t *) wd_get_conf(cycle->conf_ctx, wd_core_module))

#define wd_is_init_cycle(cycle) (cycle->conf_ctx == NULL)

/* Process roles. */
#define WD_PROCESS_SINGLE 0
#define WD_PROCESS_MASTER 1
#define WD_PROCESS_SIGNALLER 2
#define WD_PROCESS_WORKER 3
#define WD_PROCESS_HELPER 4

extern wd_cycle_t *volatile wd_cycle;
extern wd_module_t wd_core_module;
extern wd_uint_t wd_test_config;
extern wd_uint_t wd_dump_config;
extern wd_uint_t wd_quiet_mode;
extern wd_uint_t wd_process;
extern wd_uint_t wd_worker;
extern pid_t wd_pid;
extern pid_t wd_parent;
extern wd_uint_t wd_ncpu;
extern wd_uint_t wd_inherited;
extern wd_uint_t wd_daemonized;
extern wd_uint_t wd_exiting;
extern wd_uint_t wd_terminate;
extern wd_uint_t wd_quit;
/* The pid of a new binary started by USR2 and still running, else 0. */
extern pid_t wd_new_binary;

/* Builds a cycle from the configuration named by old_cycle. */
wd_cycle_t *wd_init_cycle(wd_cycle_t *old_cycle);
void wd_destroy_cycle_pools(wd_conf_t *cf);
/* Writes our pid into name (the "pid" directive's file). */
wd_int_t wd_create_pidfile(wd_str_t *name, wd_log_t *log);
void wd_delete_pidfile(wd_cycle_t *cycle);
/* -s: signals the process named in the pid file. */
wd_int_t wd_signal_process(wd_cycle_t *cycle, char *sig);
void wd_reopen_files(wd_cycle_t *cycle, uid_t user);
/* The environment for workers and new binaries ("env" directives). */
char **wd_set_environment(wd_cycle_t *cycle, wd_uint_t *last);
cpu_set_t *wd_get_cpu_affinity(wd_uint_t n);

/* Paths: registers a temp directory (merged by name) and creates all. */
wd_int_t wd_add_path(wd_conf_t *cf, wd_path_t **slot);
char *wd_conf_merge_path_value(wd_conf_t *cf, wd_path_t **path,
    wd_path_t *prev, wd_path_init_t *init);
wd_int_t wd_create_paths(wd_cycle_t *cycle, uid_t user);

/* Listening sockets (wd_listening.c). */
wd_listening_t *wd_create_listening(wd_conf_t *cf, struct sockaddr *sockaddr,
    socklen_t socklen);
wd_int_t wd_set_inherited_sockets(wd_cycle_t *cycle);
wd_int_t wd_open_listening_sockets(wd_cycle_t *cycle);
void wd_configure_listening_sockets(wd_cycle_t *cycle);
void wd_close_listening_sockets(wd_cycle_t *cycle);
wd_int_t wd_clone_listening(wd_cycle_t *cycle, wd_listening_t *ls);

#endif /* WD_CYCLE_H */
