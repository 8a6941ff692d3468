/*
 * The configuration language: tokenizer, directive dispatch, the generic
 * directive setters and the error messages, all in nginx's terms.
 */

#ifndef WD_CONF_FILE_H
#define WD_CONF_FILE_H

/* Argument counts a directive accepts (the directive name not counted). */
#define WD_CONF_NOARGS 0x00000001
#define WD_CONF_TAKE1 0x00000002
#define WD_CONF_TAKE2 0x00000004
#define WD_CONF_TAKE3 0x00000008
#define WD_CONF_TAKE4 0x00000010
#define WD_CONF_TAKE5 0x00000020
#define WD_CONF_TAKE6 0x00000040
#define WD_CONF_TAKE7 0x00000080
#define WD_CONF_MAX_ARGS 8

#define WD_CONF_TAKE12 (WD_CONF_TAKE1 | WD_CONF_TAKE2)
#define WD_CONF_TAKE13 (WD_CONF_TAKE1 | WD_CONF_TAKE3)
#define WD_CONF_TAKE23 (WD_CONF_TAKE2 | WD_CONF_TAKE3)
#define WD_CONF_TAKE123 (WD_CONF_TAKE1 | WD_CONF_TAKE2 | WD_CONF_TAKE3)
#define WD_CONF_TAKE1234                                                       \
    (WD_CONF_TAKE1 | WD_CONF_TAKE2 | WD_CONF_TAKE3 | WD_CONF_TAKE4)

#define WD_CONF_ARGS_NUMBER 0x000000ff
#define WD_CONF_BLOCK 0x00000100      /* takes a { } block */
#define WD_CONF_FLAG 0x00000200       /* one "on" or "off" */
#define WD_CONF_ANY 0x00000400
#define WD_CONF_1MORE 0x00000800
#define WD_CONF_2MORE 0x00001000

/* Where a directive may appear.  The high bits are per module type: an
 * http module reads them as the WD_HTTP_*_CONF contexts. */
#define WD_DIRECT_CONF 0x00010000     /* the conf pointer is the module's */
#define WD_MAIN_CONF 0x01000000
#define WD_ANY_CONF 0xFF000000

#define WD_CONF_UNSET -1
#define WD_CONF_UNSET_UINT (wd_uint_t) -1
#define WD_CONF_UNSET_PTR (void *) -1
#define WD_CONF_UNSET_SIZE (size_t) -1
#define WD_CONF_UNSET_MSEC (wd_msec_t) -1

/* Setter results: NULL is success, WD_CONF_ERROR means "already logged",
 * any other string is appended to "\"name\" directive ". */
#define WD_CONF_OK NULL
#define WD_CONF_ERROR (void *) -1

#define WD_CONF_BLOCK_START 1
#define WD_CONF_BLOCK_DONE 2
#define WD_CONF_FILE_DONE 3

#define WD_CORE_MODULE 0x45524F43     /* "CORE" */
#define WD_CONF_MODULE 0x464E4F43     /* "CONF" */

/* Bounds on what a configuration may nest. */
#define WD_CONF_MAX_DEPTH 64          /* block nesting */
#define WD_CONF_MAX_INCLUDE_DEPTH 32  /* include inside include */
#define WD_CONF_MAX_FILE_SIZE (256 * 1024 * 1024)

typedef char *(*wd_conf_set_pt)(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
/* A block body parsed by its own handler (types { }, map { }). */
typedef char *(*wd_conf_handler_pt)(wd_conf_t *cf, wd_command_t *dummy,
    void *conf);
/* Checks or converts a value a generic setter has just stored. */
typedef char *(*wd_conf_post_handler_pt)(wd_conf_t *cf, void *data,
    void *conf);

struct wd_command_s {
    wd_str_t name;
    wd_uint_t type;             /* contexts | argument counts */
    wd_conf_set_pt set;
    wd_uint_t conf;             /* which conf of the context (http) */
    wd_uint_t offset;           /* of the field a generic setter fills */
    void *post;
};

#define wd_null_command { wd_null_string, 0, NULL, 0, 0, NULL }

typedef struct {
    wd_conf_post_handler_pt post_handler;
} wd_conf_post_t;

typedef struct {
    wd_conf_post_handler_pt post_handler;
    const char *old_name;
    const char *new_name;
} wd_conf_deprecated_t;

typedef struct {
    wd_conf_post_handler_pt post_handler;
    wd_int_t low;
    wd_int_t high;
} wd_conf_num_bounds_t;

typedef struct {
    wd_str_t name;
    wd_uint_t value;
} wd_conf_enum_t;

#define WD_CONF_BITMASK_SET 1

typedef struct {
    wd_str_t name;
    wd_uint_t mask;
} wd_conf_bitmask_t;

/* One file (or the -g string) being read. */
typedef struct {
    wd_str_t name;              /* NUL-terminated; "command line" for -g */
    u_char *start;              /* the whole text */
    u_char *pos;                /* the next byte to read */
    u_char *end;
    wd_uint_t line;
    wd_uint_t is_param;         /* the -g string, not a file */
} wd_conf_file_t;

/* The text of each file read, for "-T". */
typedef struct {
    wd_str_t name;
    wd_str_t text;
} wd_conf_dump_t;

struct wd_conf_s {
    wd_array_t *args;           /* wd_str_t: the directive and arguments */
    wd_cycle_t *cycle;
    wd_pool_t *pool;
    wd_pool_t *temp_pool;
    wd_conf_file_t *conf_file;
    wd_log_t *log;

    void *ctx;                  /* the context's conf pointers */
    wd_uint_t module_type;      /* only modules of this type match */
    wd_uint_t cmd_type;         /* the context bit directives must have */

    wd_conf_handler_pt handler;
    void *handler_conf;

    wd_uint_t depth;            /* block nesting */
    wd_uint_t include_depth;
};

/* Reads the file (or, with filename NULL, the rest of the current block)
 * and dispatches each directive. */
char *wd_conf_parse(wd_conf_t *cf, wd_str_t *filename);
/* Parses the -g string. */
char *wd_conf_param(wd_conf_t *cf);
/* Parses text as if it were a file called name (fuzzing, unit tests). */
char *wd_conf_parse_text(wd_conf_t *cf, wd_str_t *name, u_char *text,
    size_t len);
char *wd_conf_include(wd_conf_t *cf, wd_command_t *cmd, void *conf);

/* Makes name absolute: relative to the prefix (conf_prefix = 0) or to
 * the configuration directory (conf_prefix = 1). */
wd_int_t wd_conf_full_name(wd_cycle_t *cycle, wd_str_t *name,
    wd_uint_t conf_prefix);
wd_int_t wd_get_full_name(wd_pool_t *pool, wd_str_t *prefix, wd_str_t *name);

/* An error with " in FILE:LINE" appended (or " in command line"). */
void wd_conf_log_error(wd_uint_t level, wd_conf_t *cf, wd_err_t err,
    const char *fmt, ...) wd_printf_like(4, 5);

/* Registers a file the cycle keeps open (error and access logs). */
wd_open_file_t *wd_conf_open_file(wd_cycle_t *cycle, wd_str_t *name);

#define wd_conf_init_value(conf, default)                                      \
    if (conf == WD_CONF_UNSET) {                                               \
        conf = default;                                                        \
    }
#define wd_conf_init_ptr_value(conf, default)                                  \
    if (conf == WD_CONF_UNSET_PTR) {                                           \
        conf = default;                                                        \
    }
#define wd_conf_init_uint_value(conf, default)                                 \
    if (conf == WD_CONF_UNSET_UINT) {                                          \
        conf = default;                                                        \
    }
#define wd_conf_init_size_value(conf, default)                                 \
    if (conf == WD_CONF_UNSET_SIZE) {                                          \
        conf = default;                                                        \
    }
#define wd_conf_init_msec_value(conf, default)                                 \
    if (conf == WD_CONF_UNSET_MSEC) {                                          \
        conf = default;                                                        \
    }

#define wd_conf_merge_value(conf, prev, default)                               \
    if (conf == WD_CONF_UNSET) {                                               \
        conf = (prev == WD_CONF_UNSET) ? default : prev;                       \
    }
#define wd_conf_merge_ptr_value(conf, prev, default)                           \
    if (conf == WD_CONF_UNSET_PTR) {                                           \
        conf = (prev == WD_CONF_UNSET_PTR) ? default : prev;                   \
    }
#define wd_conf_merge_uint_value(conf, prev, default)                          \
    if (conf == WD_CONF_UNSET_UINT) {                                          \
        conf = (prev == WD_CONF_UNSET_UINT) ? default : prev;                  \
    }
#define wd_conf_merge_msec_value(conf, prev, default)                          \
    if (conf == WD_CONF_UNSET_MSEC) {                                          \
        conf = (prev == WD_CONF_UNSET_MSEC) ? default : prev;                  \
    }
#define wd_conf_merge_sec_value(conf, prev, default)                           \
    if (conf == WD_CONF_UNSET) {                                               \
        conf = (prev == WD_CONF_UNSET) ? default : prev;                       \
    }
#define wd_conf_merge_size_value(conf, prev, default)                          \
    if (conf == WD_CONF_UNSET_SIZE) {                                          \
        conf = (prev == WD_CONF_UNSET_SIZE) ? default : prev;                  \
    }
#define wd_conf_merge_off_value(conf, prev, default)                           \
    if (conf == WD_CONF_UNSET) {                                               \
        conf = (prev == WD_CONF_UNSET) ? default : prev;                       \
    }
#define wd_conf_merge_str_value(conf, prev, default)                           \
    if (conf.data == NULL) {                                                   \
        if (prev.data) {                                                       \
            conf.len = prev.len;                                               \
            conf.data = prev.data;                                             \
        } else {                                                               \
            conf.len = sizeof(default) - 1;                                    \
            conf.data = (u_char *) default;                                    \
        }                                                                      \
    }
#define wd_conf_merge_bufs_value(conf, prev, default_num, default_size)        \
    if (conf.num == 0) {                                                       \
        if (prev.num) {                                                        \
            conf.num = prev.num;                                               \
            conf.size = prev.size;                                             \
        } else {                                                               \
            conf.num = default_num;                                            \
            conf.size = default_size;                                          \
        }                                                                      \
    }
#define wd_conf_merge_bitmask_value(conf, prev, default)                       \
    if (conf == 0) {                                                           \
        conf = (prev == 0) ? default : prev;                                   \
    }

/* Generic setters: each fills the field at cmd->offset of conf. */
char *wd_conf_set_flag_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf);
char *wd_conf_set_str_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf);
char *wd_conf_set_str_array_slot(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
char *wd_conf_set_keyval_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf);
char *wd_conf_set_num_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf);
char *wd_conf_set_size_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf);
char *wd_conf_set_off_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf);
char *wd_conf_set_msec_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf);
char *wd_conf_set_sec_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf);
char *wd_conf_set_bufs_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf);
char *wd_conf_set_enum_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf);
char *wd_conf_set_bitmask_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf);
char *wd_conf_set_path_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf);
char *wd_conf_set_access_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf);

/* Post handlers. */
char *wd_conf_check_num_bounds(wd_conf_t *cf, void *post, void *data);
char *wd_conf_deprecated(wd_conf_t *cf, void *post, void *data);

#endif /* WD_CONF_FILE_H */
