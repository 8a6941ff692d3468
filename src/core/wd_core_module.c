/*
 * The core module: main-level directives (daemon, master_process, pid,
 * user, worker_processes, worker_cpu_affinity, env, ...).
 */

#include <wd_core.h>

static void *wd_core_module_create_conf(wd_cycle_t *cycle);
static char *wd_core_module_init_conf(wd_cycle_t *cycle, void *conf);
static char *wd_set_user(wd_conf_t *cf, wd_command_t *cmd, void *conf);
static char *wd_set_env(wd_conf_t *cf, wd_command_t *cmd, void *conf);
static char *wd_set_priority(wd_conf_t *cf, wd_command_t *cmd, void *conf);
static char *wd_set_cpu_affinity(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_set_worker_processes(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_load_module(wd_conf_t *cf, wd_command_t *cmd, void *conf);

static wd_conf_enum_t wd_debug_points[] = {
    { wd_string("stop"), WD_DEBUG_POINTS_STOP },
    { wd_string("abort"), WD_DEBUG_POINTS_ABORT },
    { wd_null_string, 0 }
};

#define WD_CORE_DIRECT (WD_MAIN_CONF | WD_DIRECT_CONF)

static wd_command_t wd_core_commands[] = {

    { wd_string("daemon"),
      WD_CORE_DIRECT | WD_CONF_FLAG,
      wd_conf_set_flag_slot,
      0,
      offsetof(wd_core_conf_t, daemon),
      NULL },

    { wd_string("master_process"),
      WD_CORE_DIRECT | WD_CONF_FLAG,
      wd_conf_set_flag_slot,
      0,
      offsetof(wd_core_conf_t, master),
      NULL },

    { wd_string("timer_resolution"),
      WD_CORE_DIRECT | WD_CONF_TAKE1,
      wd_conf_set_msec_slot,
      0,
      offsetof(wd_core_conf_t, timer_resolution),
      NULL },

    { wd_string("pid"),
      WD_CORE_DIRECT | WD_CONF_TAKE1,
      wd_conf_set_str_slot,
      0,
      offsetof(wd_core_conf_t, pid),
      NULL },

    { wd_string("lock_file"),
      WD_CORE_DIRECT | WD_CONF_TAKE1,
      wd_conf_set_str_slot,
      0,
      offsetof(wd_core_conf_t, lock_file),
      NULL },

    { wd_string("worker_processes"),
      WD_CORE_DIRECT | WD_CONF_TAKE1,
      wd_set_worker_processes,
      0,
      0,
      NULL },

    { wd_string("debug_points"),
      WD_CORE_DIRECT | WD_CONF_TAKE1,
      wd_conf_set_enum_slot,
      0,
      offsetof(wd_core_conf_t, debug_points),
      &wd_debug_points },

    { wd_string("user"),
      WD_CORE_DIRECT | WD_CONF_TAKE12,
      wd_set_user,
      0,
      0,
      NULL },

    { wd_string("worker_priority"),
      WD_CORE_DIRECT | WD_CONF_TAKE1,
      wd_set_priority,
      0,
      0,
      NULL },

    { wd_string("worker_cpu_affinity"),
      WD_CORE_DIRECT | WD_CONF_1MORE,
      wd_set_cpu_affinity,
      0,
      0,
      NULL },

    { wd_string("worker_rlimit_nofile"),
      WD_CORE_DIRECT | WD_CONF_TAKE1,
      wd_conf_set_num_slot,
      0,
      offsetof(wd_core_conf_t, rlimit_nofile),
      NULL },

    { wd_string("worker_rlimit_core"),
      WD_CORE_DIRECT | WD_CONF_TAKE1,
      wd_conf_set_off_slot,
      0,
      offsetof(wd_core_conf_t, rlimit_core),
      NULL },

    { wd_string("worker_shutdown_timeout"),
      WD_CORE_DIRECT | WD_CONF_TAKE1,
      wd_conf_set_msec_slot,
      0,
      offsetof(wd_core_conf_t, shutdown_timeout),
      NULL },

    { wd_string("working_directory"),
      WD_CORE_DIRECT | WD_CONF_TAKE1,
      wd_conf_set_str_slot,
      0,
      offsetof(wd_core_conf_t, working_directory),
      NULL },

    { wd_string("env"),
      WD_CORE_DIRECT | WD_CONF_TAKE1,
      wd_set_env,
      0,
      0,
      NULL },

    { wd_string("pcre_jit"),
      WD_CORE_DIRECT | WD_CONF_FLAG,
      wd_conf_set_flag_slot,
      0,
      offsetof(wd_core_conf_t, pcre_jit),
      NULL },

    { wd_string("load_module"),
      WD_CORE_DIRECT | WD_CONF_TAKE1,
      wd_load_module,
      0,
      0,
      NULL },

    wd_null_command
};

static wd_core_module_t wd_core_module_ctx = {
    wd_string("core"),
    wd_core_module_create_conf,
    wd_core_module_init_conf
};

wd_module_t wd_core_module = {
    WD_MODULE_V1,
    &wd_core_module_ctx,
    wd_core_commands,
    WD_CORE_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

static void *
wd_core_module_create_conf(wd_cycle_t *cycle)
{
    wd_core_conf_t *ccf;

    ccf = wd_pcalloc(cycle->pool, sizeof(wd_core_conf_t));

    if (ccf == NULL) {
        return NULL;
    }

    /* zeroed: pid, oldpid, lock_file, working_directory, cpu_affinity */

    ccf->daemon = WD_CONF_UNSET;
    ccf->master = WD_CONF_UNSET;
    ccf->timer_resolution = WD_CONF_UNSET_MSEC;
    ccf->shutdown_timeout = WD_CONF_UNSET_MSEC;
    ccf->worker_processes = WD_CONF_UNSET;
    ccf->debug_points = WD_CONF_UNSET;
    ccf->rlimit_nofile = WD_CONF_UNSET;
    ccf->rlimit_core = WD_CONF_UNSET;
    ccf->user = (uid_t) WD_CONF_UNSET_UINT;
    ccf->group = (gid_t) WD_CONF_UNSET_UINT;
    ccf->pcre_jit = WD_CONF_UNSET;

    if (wd_array_init(&ccf->env, cycle->pool, 1, sizeof(wd_str_t)) != WD_OK) {
        return NULL;
    }

    return ccf;
}

/* Without a "user" directive, a root master runs workers as the build's
 * default user and group (nobody / nogroup). */
static char *
wd_core_default_user(wd_cycle_t *cycle, wd_core_conf_t *ccf)
{
    struct passwd *pwd;
    struct group *grp;

    if (ccf->user != (uid_t) WD_CONF_UNSET_UINT || geteuid() != 0) {
        return WD_CONF_OK;
    }

    wd_set_errno(0);
    pwd = getpwnam(WD_USER);

    if (pwd == NULL) {
        wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                     "getpwnam(\"" WD_USER "\") failed");
        return WD_CONF_ERROR;
    }

    ccf->username = WD_USER;
    ccf->user = pwd->pw_uid;

    wd_set_errno(0);
    grp = getgrnam(WD_GROUP);

    if (grp == NULL) {
        wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                     "getgrnam(\"" WD_GROUP "\") failed");
        return WD_CONF_ERROR;
    }

    ccf->group = grp->gr_gid;

    return WD_CONF_OK;
}

static char *
wd_core_module_init_conf(wd_cycle_t *cycle, void *conf)
{
    wd_core_conf_t *ccf = conf;

    wd_conf_init_value(ccf->daemon, 1);
    wd_conf_init_value(ccf->master, 1);
    wd_conf_init_msec_value(ccf->timer_resolution, 0);
    wd_conf_init_msec_value(ccf->shutdown_timeout, 0);
    wd_conf_init_value(ccf->worker_processes, 1);
    wd_conf_init_value(ccf->debug_points, 0);
    wd_conf_init_value(ccf->pcre_jit, 1);

    if (ccf->cpu_affinity_n && ccf->cpu_affinity_n != 1
        && ccf->cpu_affinity_n != (wd_uint_t) ccf->worker_processes)
    {
        wd_log_error(WD_LOG_WARN, cycle->log, 0,
                     "the number of \"worker_processes\" is not equal to "
                     "the number of \"worker_cpu_affinity\" masks, "
                     "using last mask for remaining worker processes");
    }

    if (ccf->pid.len == 0) {
        wd_str_set(&ccf->pid, WD_PID_PATH);
    }

    if (wd_conf_full_name(cycle, &ccf->pid, 0) != WD_OK) {
        return WD_CONF_ERROR;
    }

    ccf->oldpid.len = ccf->pid.len + sizeof(".oldbin") - 1;
    ccf->oldpid.data = wd_pnalloc(cycle->pool, ccf->oldpid.len + 1);

    if (ccf->oldpid.data == NULL) {
        return WD_CONF_ERROR;
    }

    wd_memcpy(wd_cpymem(ccf->oldpid.data, ccf->pid.data, ccf->pid.len),
              ".oldbin", sizeof(".oldbin"));

    wd_regex_set_jit((wd_uint_t) ccf->pcre_jit);

    return wd_core_default_user(cycle, ccf);
}

static char *
wd_set_worker_processes(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value;
    wd_core_conf_t *ccf = conf;

    if (ccf->worker_processes != WD_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (wd_strcmp(value[1].data, "auto") == 0) {
        ccf->worker_processes = (wd_int_t) wd_ncpu;
        return WD_CONF_OK;
    }

    ccf->worker_processes = wd_atoi(value[1].data, value[1].len);

    if (ccf->worker_processes == WD_ERROR) {
        return "invalid value";
    }

    return WD_CONF_OK;
}

static char *
wd_set_user(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    char *group;
    wd_str_t *value;
    struct passwd *pwd;
    struct group *grp;
    wd_core_conf_t *ccf = conf;

    if (ccf->user != (uid_t) WD_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    if (geteuid() != 0) {
        wd_conf_log_error(WD_LOG_WARN, cf, 0,
                          "the \"user\" directive makes sense only "
                          "if the master process runs "
                          "with super-user privileges, ignored");
        return WD_CONF_OK;
    }

    value = cf->args->elts;

    ccf->username = (char *) value[1].data;

    wd_set_errno(0);
    pwd = getpwnam((const char *) value[1].data);

    if (pwd == NULL) {
        wd_conf_log_error(WD_LOG_EMERG, cf, wd_errno,
                          "getpwnam(\"%s\") failed", value[1].data);
        return WD_CONF_ERROR;
    }

    ccf->user = pwd->pw_uid;

    group = (char *) ((cf->args->nelts == 2) ? value[1].data : value[2].data);

    wd_set_errno(0);
    grp = getgrnam(group);

    if (grp == NULL) {
        wd_conf_log_error(WD_LOG_EMERG, cf, wd_errno,
                          "getgrnam(\"%s\") failed", group);
        return WD_CONF_ERROR;
    }

    ccf->group = grp->gr_gid;

    return WD_CONF_OK;
}

/* "env NAME" keeps a variable from our environment, "env NAME=value"
 * sets one; var->len is the name's length either way. */
static char *
wd_set_env(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value, *var;
    u_char *eq;
    wd_core_conf_t *ccf = conf;

    var = wd_array_push(&ccf->env);

    if (var == NULL) {
        return WD_CONF_ERROR;
    }

    value = cf->args->elts;
    *var = value[1];

    eq = wd_strlchr(value[1].data, value[1].data + value[1].len, '=');

    if (eq) {
        var->len = eq - value[1].data;
    }

    return WD_CONF_OK;
}

extern char **environ;

/* Whether env entry var (a name, maybe "=value" after it) is named name. */
static wd_uint_t
wd_env_is(wd_str_t *var, const char *entry)
{
    return wd_strncmp(entry, var->data, var->len) == 0
           && entry[var->len] == '=';
}

char **
wd_set_environment(wd_cycle_t *cycle, wd_uint_t *last)
{
    char **env, **e;
    wd_uint_t i, n;
    wd_str_t *var, tz = wd_string("TZ");
    wd_core_conf_t *ccf;

    ccf = wd_core_conf(cycle);
    var = ccf->env.elts;

    /* room for every configured entry, each environ match, and TZ */
    for (n = 1, e = environ; *e; e++) {
        n++;
    }

    n += ccf->env.nelts + 1 + (last ? *last : 0);

    env = wd_alloc(n * sizeof(char *), cycle->log);

    if (env == NULL) {
        return NULL;
    }

    n = 0;

    for (e = environ; *e; e++) {
        if (wd_env_is(&tz, *e)) {
            env[n++] = *e;
            continue;
        }

        for (i = 0; i < ccf->env.nelts; i++) {
            if (var[i].data[var[i].len] != '=' && wd_env_is(&var[i], *e)) {
                env[n++] = *e;
                break;
            }
        }
    }

    for (i = 0; i < ccf->env.nelts; i++) {
        if (var[i].data[var[i].len] == '=') {
            env[n++] = (char *) var[i].data;
        }
    }

    if (last) {
        *last = n;
    }

    env[n] = NULL;

    return env;
}

static char *
wd_set_priority(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value;
    wd_int_t n, minus, priority;
    wd_core_conf_t *ccf = conf;

    if (ccf->priority != 0) {
        return "is duplicate";
    }

    value = cf->args->elts;
    minus = 0;
    n = 0;

    if (value[1].len > 0 && (value[1].data[0] == '-'
                             || value[1].data[0] == '+'))
    {
        minus = (value[1].data[0] == '-');
        n = 1;
    }

    /* range-checked before it is narrowed to an int */
    priority = wd_atoi(&value[1].data[n], value[1].len - n);

    if (priority == WD_ERROR) {
        return "invalid number";
    }

    if (minus) {
        priority = -priority;
    }

    /* any value an int holds: setpriority() clamps it, as under nginx */
    if (priority < INT_MIN || priority > INT_MAX) {
        return "invalid number";
    }

    ccf->priority = (int) priority;

    return WD_CONF_OK;
}

/* Parses a mask such as "0101" (rightmost character is CPU 0). */
static char *
wd_parse_cpu_mask(wd_conf_t *cf, wd_str_t *value, cpu_set_t *mask)
{
    u_char ch, *p;
    wd_uint_t n;

    CPU_ZERO(mask);

    if (value->len > CPU_SETSIZE) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "\"worker_cpu_affinity\" supports up to %d CPUs "
                          "only", CPU_SETSIZE);
        return WD_CONF_ERROR;
    }

    for (n = 0, p = value->data + value->len - 1; p >= value->data;
         p--, n++)
    {
        ch = *p;

        if (ch == ' ') {
            continue;
        }

        if (ch == '1') {
            CPU_SET(n, mask);
            continue;
        }

        if (ch != '0') {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "invalid character \"%c\" in "
                              "\"worker_cpu_affinity\"", ch);
            return WD_CONF_ERROR;
        }
    }

    return WD_CONF_OK;
}

static char *
wd_set_cpu_affinity(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value;
    wd_uint_t i, first;
    cpu_set_t *mask;
    wd_core_conf_t *ccf = conf;

    if (ccf->cpu_affinity) {
        return "is duplicate";
    }

    value = cf->args->elts;
    first = 1;

    if (wd_strcmp(value[1].data, "auto") == 0) {
        if (cf->args->nelts > 3) {
            return "invalid number of arguments";
        }

        ccf->cpu_affinity_auto = 1;
        first = 2;
    }

    mask = wd_palloc(cf->pool, (cf->args->nelts - first + 1)
                                   * sizeof(cpu_set_t));

    if (mask == NULL) {
        return WD_CONF_ERROR;
    }

    if (ccf->cpu_affinity_auto && cf->args->nelts == 2) {
        /* "auto" alone: every CPU may be used */
        CPU_ZERO(&mask[0]);
        for (i = 0; i < CPU_SETSIZE; i++) {
            CPU_SET(i, &mask[0]);
        }
        ccf->cpu_affinity_n = 1;
        ccf->cpu_affinity = mask;
        return WD_CONF_OK;
    }

    for (i = first; i < cf->args->nelts; i++) {
        if (wd_parse_cpu_mask(cf, &value[i], &mask[i - first])
            != WD_CONF_OK)
        {
            return WD_CONF_ERROR;
        }
    }

    ccf->cpu_affinity_n = cf->args->nelts - first;
    ccf->cpu_affinity = mask;

    return WD_CONF_OK;
}

/*
 * The n-th worker's CPU set: with "auto", the n-th allowed CPU (wrapping);
 * with explicit masks, the n-th mask (the last one repeats).
 */
cpu_set_t *
wd_get_cpu_affinity(wd_uint_t n)
{
    static cpu_set_t result;
    wd_uint_t i, j, allowed;
    wd_core_conf_t *ccf;

    ccf = wd_core_conf(wd_cycle);

    if (ccf->cpu_affinity == NULL) {
        return NULL;
    }

    if (!ccf->cpu_affinity_auto) {
        if (n >= ccf->cpu_affinity_n) {
            n = ccf->cpu_affinity_n - 1;
        }
        return &ccf->cpu_affinity[n];
    }

    allowed = 0;

    for (i = 0; i < CPU_SETSIZE && i < wd_ncpu; i++) {
        if (CPU_ISSET(i, &ccf->cpu_affinity[0])) {
            allowed++;
        }
    }

    if (allowed == 0) {
        return NULL;
    }

    n %= allowed;

    for (i = 0, j = 0; i < CPU_SETSIZE && i < wd_ncpu; i++) {
        if (!CPU_ISSET(i, &ccf->cpu_affinity[0])) {
            continue;
        }

        if (j++ == n) {
            CPU_ZERO(&result);
            CPU_SET(i, &result);
            return &result;
        }
    }

    return NULL;
}

/* Debian's nginx.conf includes modules-enabled/ files; warden has every
 * module built in, so a load_module line is noted and skipped. */
static char *
wd_load_module(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value;

    value = cf->args->elts;

    wd_conf_log_error(WD_LOG_WARN, cf, 0,
                      "\"load_module\" is ignored: warden has no dynamic "
                      "modules, \"%s\" is not loaded", value[1].data);

    return WD_CONF_OK;
}
