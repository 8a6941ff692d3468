/*
 * The configuration parser.  The grammar and every message follow nginx:
 * a directive is words up to ";" or "{"; "}" closes a block; words split
 * on whitespace, ";" and "{"; quotes, backslash escapes, "#" comments at
 * the start of a word, and "${var}" inside words.
 */

#include <wd_core.h>

#define WD_CONF_PARSE_FILE 0
#define WD_CONF_PARSE_BLOCK 1
#define WD_CONF_PARSE_PARAM 2

/* The tokenizer's state while it reads one directive. */
typedef struct {
    u_char *start;              /* the word being read */
    unsigned last_space:1;      /* between words */
    unsigned need_space:1;      /* just after a closing quote */
    unsigned quoted:1;          /* after a backslash */
    unsigned s_quoted:1;
    unsigned d_quoted:1;
    unsigned variable:1;        /* just after a '$' */
    unsigned comment:1;
} wd_conf_token_t;

static wd_int_t wd_conf_handler(wd_conf_t *cf, wd_int_t last);
static wd_int_t wd_conf_read_token(wd_conf_t *cf);
static char *wd_conf_parse_buffer(wd_conf_t *cf, wd_uint_t type);

static const wd_uint_t wd_conf_argument_number[] = {
    WD_CONF_NOARGS, WD_CONF_TAKE1, WD_CONF_TAKE2, WD_CONF_TAKE3,
    WD_CONF_TAKE4, WD_CONF_TAKE5, WD_CONF_TAKE6, WD_CONF_TAKE7
};

/* Records the text of a file for "-T", once per name. */
static void
wd_conf_add_dump(wd_conf_t *cf, wd_str_t *name, u_char *text, size_t len)
{
    wd_uint_t i;
    wd_conf_dump_t *cd;
    wd_array_t *dump;

    dump = cf->cycle->config_dump;

    if (dump == NULL) {
        return;
    }

    cd = dump->elts;

    for (i = 0; i < dump->nelts; i++) {
        if (cd[i].name.len == name->len
            && wd_memcmp(cd[i].name.data, name->data, name->len) == 0)
        {
            return;
        }
    }

    cd = wd_array_push(dump);

    if (cd == NULL) {
        return;
    }

    cd->name = *name;
    cd->text.data = text;
    cd->text.len = len;
}

/* Reads a whole file for parsing; logs nginx's message on failure. */
static wd_int_t
wd_conf_load_file(wd_conf_t *cf, wd_str_t *filename, wd_conf_file_t *file)
{
    u_char *text;
    size_t len;
    wd_int_t rc;
    wd_err_t err;

    rc = wd_read_whole_file(cf->temp_pool ? cf->temp_pool : cf->pool,
                            filename->data, WD_CONF_MAX_FILE_SIZE, &text,
                            &len);

    if (rc == WD_DECLINED) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "configuration file \"%s\" is too large",
                          filename->data);
        return WD_ERROR;
    }

    if (rc != WD_OK) {
        err = wd_errno;

        if (err == WD_EISDIR) {
            /* open() succeeds on a directory; reading it is what fails */
            wd_log_error(WD_LOG_CRIT, cf->log, err, "pread() \"%s\" failed",
                         filename->data);

        } else {
            wd_conf_log_error(WD_LOG_EMERG, cf, err, "open() \"%s\" failed",
                              filename->data);
        }

        return WD_ERROR;
    }

    file->name = *filename;
    file->start = text;
    file->pos = text;
    file->end = text + len;
    file->line = 1;
    file->is_param = 0;

    if (cf->cycle->config_dump) {
        /* the dump outlives the temporary pool */
        u_char *copy = wd_pnalloc(cf->cycle->pool, len + 1);

        if (copy == NULL) {
            return WD_ERROR;
        }

        wd_memcpy(copy, text, len);
        wd_conf_add_dump(cf, filename, copy, len);
    }

    return WD_OK;
}

char *
wd_conf_parse(wd_conf_t *cf, wd_str_t *filename)
{
    char *rv;
    wd_conf_file_t *prev, file;

    if (filename == NULL) {
        if (cf->conf_file->is_param) {
            return wd_conf_parse_buffer(cf, WD_CONF_PARSE_PARAM);
        }

        if (cf->depth >= WD_CONF_MAX_DEPTH) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "blocks are nested too deeply");
            return WD_CONF_ERROR;
        }

        cf->depth++;
        rv = wd_conf_parse_buffer(cf, WD_CONF_PARSE_BLOCK);
        cf->depth--;

        return rv;
    }

    if (cf->include_depth >= WD_CONF_MAX_INCLUDE_DEPTH) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "include of \"%s\" is nested too deeply",
                          filename->data);
        return WD_CONF_ERROR;
    }

    prev = cf->conf_file;

    if (wd_conf_load_file(cf, filename, &file) != WD_OK) {
        return WD_CONF_ERROR;
    }

    cf->conf_file = &file;
    cf->include_depth++;

    rv = wd_conf_parse_buffer(cf, WD_CONF_PARSE_FILE);

    cf->include_depth--;
    cf->conf_file = prev;

    return rv;
}

char *
wd_conf_parse_text(wd_conf_t *cf, wd_str_t *name, u_char *text, size_t len)
{
    char *rv;
    wd_conf_file_t *prev, file;

    file.name = *name;
    file.start = text;
    file.pos = text;
    file.end = text + len;
    file.line = 1;
    file.is_param = 0;

    prev = cf->conf_file;
    cf->conf_file = &file;

    rv = wd_conf_parse_buffer(cf, WD_CONF_PARSE_FILE);

    cf->conf_file = prev;

    return rv;
}

char *
wd_conf_param(wd_conf_t *cf)
{
    char *rv;
    wd_str_t *param;
    wd_conf_file_t file;

    param = &cf->cycle->conf_param;

    if (param->len == 0) {
        return WD_CONF_OK;
    }

    wd_str_set(&file.name, "command line");
    file.start = param->data;
    file.pos = param->data;
    file.end = param->data + param->len;
    file.line = 1;
    file.is_param = 1;

    cf->conf_file = &file;

    rv = wd_conf_parse_buffer(cf, WD_CONF_PARSE_PARAM);

    cf->conf_file = NULL;

    return rv;
}

/* Runs a custom block handler (types { }, map { }) on one line. */
static wd_int_t
wd_conf_run_handler(wd_conf_t *cf, wd_int_t rc)
{
    char *rv;

    if (rc == WD_CONF_BLOCK_START) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0, "unexpected \"{\"");
        return WD_ERROR;
    }

    rv = cf->handler(cf, NULL, cf->handler_conf);

    if (rv == WD_CONF_OK) {
        return WD_OK;
    }

    if (rv != WD_CONF_ERROR) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0, "%s", rv);
    }

    return WD_ERROR;
}

static char *
wd_conf_parse_buffer(wd_conf_t *cf, wd_uint_t type)
{
    wd_int_t rc;

    for (;;) {
        rc = wd_conf_read_token(cf);

        if (rc == WD_ERROR) {
            return WD_CONF_ERROR;
        }

        if (rc == WD_CONF_BLOCK_DONE) {
            if (type != WD_CONF_PARSE_BLOCK) {
                wd_conf_log_error(WD_LOG_EMERG, cf, 0, "unexpected \"}\"");
                return WD_CONF_ERROR;
            }
            return WD_CONF_OK;
        }

        if (rc == WD_CONF_FILE_DONE) {
            if (type == WD_CONF_PARSE_BLOCK) {
                wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                                  "unexpected end of file, expecting \"}\"");
                return WD_CONF_ERROR;
            }
            return WD_CONF_OK;
        }

        if (rc == WD_CONF_BLOCK_START && type == WD_CONF_PARSE_PARAM) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "block directives are not supported "
                              "in -g option");
            return WD_CONF_ERROR;
        }

        rc = cf->handler ? wd_conf_run_handler(cf, rc)
                         : wd_conf_handler(cf, rc);

        if (rc == WD_ERROR) {
            return WD_CONF_ERROR;
        }
    }
}

/* Checks the argument count against the directive's declaration. */
static wd_uint_t
wd_conf_args_fit(wd_command_t *cmd, wd_uint_t nelts)
{
    if (cmd->type & WD_CONF_ANY) {
        return 1;
    }

    if (cmd->type & WD_CONF_FLAG) {
        return nelts == 2;
    }

    if (cmd->type & WD_CONF_1MORE) {
        return nelts >= 2;
    }

    if (cmd->type & WD_CONF_2MORE) {
        return nelts >= 3;
    }

    if (nelts > WD_CONF_MAX_ARGS) {
        return 0;
    }

    return (cmd->type & wd_conf_argument_number[nelts - 1]) != 0;
}

/* The conf struct a directive's setter receives. */
static void *
wd_conf_target(wd_conf_t *cf, wd_command_t *cmd, wd_module_t *module)
{
    void **confp;

    if (cmd->type & WD_DIRECT_CONF) {
        return ((void **) cf->ctx)[module->index];
    }

    if (cmd->type & WD_MAIN_CONF) {
        return &(((void **) cf->ctx)[module->index]);
    }

    if (cf->ctx) {
        confp = *(void **) ((char *) cf->ctx + cmd->conf);

        if (confp) {
            return confp[module->ctx_index];
        }
    }

    return NULL;
}

static wd_int_t
wd_conf_call(wd_conf_t *cf, wd_command_t *cmd, wd_module_t *module,
    wd_int_t last)
{
    char *rv;
    wd_str_t *name;

    name = cf->args->elts;

    if (!(cmd->type & WD_CONF_BLOCK) && last != WD_OK) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "directive \"%s\" is not terminated by \";\"",
                          name->data);
        return WD_ERROR;
    }

    if ((cmd->type & WD_CONF_BLOCK) && last != WD_CONF_BLOCK_START) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "directive \"%s\" has no opening \"{\"",
                          name->data);
        return WD_ERROR;
    }

    if (!wd_conf_args_fit(cmd, cf->args->nelts)) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "invalid number of arguments in \"%s\" directive",
                          name->data);
        return WD_ERROR;
    }

    rv = cmd->set(cf, cmd, wd_conf_target(cf, cmd, module));

    if (rv == WD_CONF_OK) {
        return WD_OK;
    }

    if (rv != WD_CONF_ERROR) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0, "\"%s\" directive %s",
                          name->data, rv);
    }

    return WD_ERROR;
}

static wd_int_t
wd_conf_handler(wd_conf_t *cf, wd_int_t last)
{
    wd_uint_t i, found;
    wd_str_t *name;
    wd_command_t *cmd;
    wd_module_t *module;

    name = cf->args->elts;
    found = 0;

    for (i = 0; cf->cycle->modules[i]; i++) {
        module = cf->cycle->modules[i];
        cmd = module->commands;

        if (cmd == NULL) {
            continue;
        }

        for (; cmd->name.len; cmd++) {
            if (name->len != cmd->name.len
                || wd_memcmp(name->data, cmd->name.data, name->len) != 0)
            {
                continue;
            }

            found = 1;

            if (module->type != WD_CONF_MODULE
                && module->type != cf->module_type)
            {
                continue;
            }

            if (!(cmd->type & cf->cmd_type)) {
                continue;
            }

            return wd_conf_call(cf, cmd, module, last);
        }
    }

    if (found) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "\"%s\" directive is not allowed here", name->data);

    } else {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0, "unknown directive \"%s\"",
                          name->data);
    }

    return WD_ERROR;
}

/* Copies [start, end) into a new argument, resolving backslash escapes. */
static wd_int_t
wd_conf_push_word(wd_conf_t *cf, u_char *start, u_char *end)
{
    u_char *src, *dst;
    wd_str_t *word;

    word = wd_array_push(cf->args);

    if (word == NULL) {
        return WD_ERROR;
    }

    word->data = wd_pnalloc(cf->pool, end - start + 1);

    if (word->data == NULL) {
        return WD_ERROR;
    }

    for (dst = word->data, src = start; src < end; /* void */) {
        if (*src == '\\' && src + 1 < end) {
            switch (src[1]) {
            case '"':
            case '\'':
            case '\\':
                src++;
                break;

            case 't':
                *dst++ = '\t';
                src += 2;
                continue;

            case 'r':
                *dst++ = '\r';
                src += 2;
                continue;

            case 'n':
                *dst++ = '\n';
                src += 2;
                continue;
            }
        }

        *dst++ = *src++;
    }

    *dst = '\0';
    word->len = dst - word->data;

    return WD_OK;
}

static wd_int_t
wd_conf_token_eof(wd_conf_t *cf, wd_conf_token_t *t)
{
    if (cf->args->nelts > 0 || !t->last_space) {
        if (cf->conf_file->is_param) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "unexpected end of parameter, "
                              "expecting \";\"");
        } else {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "unexpected end of file, "
                              "expecting \";\" or \"}\"");
        }
        return WD_ERROR;
    }

    return WD_CONF_FILE_DONE;
}

#define wd_conf_space(ch) ((ch) == ' ' || (ch) == '\t' || (ch) == CR        \
                           || (ch) == LF)

/*
 * Handles the first byte of a word.  Returns WD_AGAIN to read on, or the
 * token result (WD_OK for ";", block start/done, or WD_ERROR).
 */
static wd_int_t
wd_conf_token_begin(wd_conf_t *cf, wd_conf_token_t *t, u_char ch)
{
    t->start = cf->conf_file->pos - 1;

    if (wd_conf_space(ch)) {
        return WD_AGAIN;
    }

    switch (ch) {

    case ';':
    case '{':
        if (cf->args->nelts == 0) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0, "unexpected \"%c\"", ch);
            return WD_ERROR;
        }
        return (ch == '{') ? WD_CONF_BLOCK_START : WD_OK;

    case '}':
        if (cf->args->nelts != 0) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0, "unexpected \"}\"");
            return WD_ERROR;
        }
        return WD_CONF_BLOCK_DONE;

    case '#':
        t->comment = 1;
        return WD_AGAIN;

    case '\\':
        t->quoted = 1;
        break;

    case '"':
        t->start++;
        t->d_quoted = 1;
        break;

    case '\'':
        t->start++;
        t->s_quoted = 1;
        break;

    case '$':
        t->variable = 1;
        break;

    default:
        break;
    }

    t->last_space = 0;

    return WD_AGAIN;
}

/* After a closing quote only a separator may follow. */
static wd_int_t
wd_conf_token_after_quote(wd_conf_t *cf, wd_conf_token_t *t, u_char ch)
{
    if (wd_conf_space(ch)) {
        t->last_space = 1;
        t->need_space = 0;
        return WD_AGAIN;
    }

    if (ch == ';') {
        return WD_OK;
    }

    if (ch == '{') {
        return WD_CONF_BLOCK_START;
    }

    if (ch == ')') {
        /* "if ($a = "b")": the parenthesis starts a word of its own */
        t->last_space = 1;
        t->need_space = 0;
        return WD_DECLINED;
    }

    wd_conf_log_error(WD_LOG_EMERG, cf, 0, "unexpected \"%c\"", ch);

    return WD_ERROR;
}

/* Handles a byte inside a word; WD_DONE when the word just ended. */
static wd_int_t
wd_conf_token_inside(wd_conf_token_t *t, u_char ch)
{
    if (ch == '{' && t->variable) {
        return WD_AGAIN;
    }

    t->variable = 0;

    if (ch == '\\') {
        t->quoted = 1;
        return WD_AGAIN;
    }

    if (ch == '$') {
        t->variable = 1;
        return WD_AGAIN;
    }

    if (t->d_quoted) {
        if (ch == '"') {
            t->d_quoted = 0;
            t->need_space = 1;
            return WD_DONE;
        }
        return WD_AGAIN;
    }

    if (t->s_quoted) {
        if (ch == '\'') {
            t->s_quoted = 0;
            t->need_space = 1;
            return WD_DONE;
        }
        return WD_AGAIN;
    }

    if (wd_conf_space(ch) || ch == ';' || ch == '{') {
        t->last_space = 1;
        return WD_DONE;
    }

    return WD_AGAIN;
}

/* Reads one directive's words into cf->args. */
static wd_int_t
wd_conf_read_token(wd_conf_t *cf)
{
    u_char ch;
    wd_int_t rc;
    wd_conf_file_t *f;
    wd_conf_token_t t;

    f = cf->conf_file;
    wd_memzero(&t, sizeof(wd_conf_token_t));
    t.last_space = 1;
    cf->args->nelts = 0;

    for (;;) {
        if (f->pos >= f->end) {
            return wd_conf_token_eof(cf, &t);
        }

        ch = *f->pos++;

        if (ch == LF) {
            f->line++;
            t.comment = 0;
        }

        if (t.comment) {
            continue;
        }

        if (t.quoted) {
            t.quoted = 0;
            continue;
        }

        if (t.need_space) {
            rc = wd_conf_token_after_quote(cf, &t, ch);

            if (rc != WD_DECLINED) {
                if (rc == WD_AGAIN) {
                    continue;
                }
                return rc;
            }
        }

        if (t.last_space) {
            rc = wd_conf_token_begin(cf, &t, ch);

            if (rc != WD_AGAIN) {
                return rc;
            }

            continue;
        }

        rc = wd_conf_token_inside(&t, ch);

        if (rc == WD_AGAIN) {
            continue;
        }

        if (wd_conf_push_word(cf, t.start, f->pos - 1) != WD_OK) {
            return WD_ERROR;
        }

        if (ch == ';') {
            return WD_OK;
        }

        if (ch == '{') {
            return WD_CONF_BLOCK_START;
        }
    }
}

char *
wd_conf_include(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    char *rv;
    wd_int_t n;
    wd_str_t *value, file, name;
    wd_glob_t gl;

    value = cf->args->elts;
    file = value[1];

    if (wd_conf_full_name(cf->cycle, &file, 1) != WD_OK) {
        return WD_CONF_ERROR;
    }

    if (strpbrk((char *) file.data, "*?[") == NULL) {
        return wd_conf_parse(cf, &file);
    }

    wd_memzero(&gl, sizeof(wd_glob_t));
    gl.pattern = file.data;
    gl.log = cf->log;
    gl.test = 1;

    if (wd_open_glob(&gl) != WD_OK) {
        wd_conf_log_error(WD_LOG_EMERG, cf, wd_errno, "glob() \"%s\" failed",
                          file.data);
        return WD_CONF_ERROR;
    }

    rv = WD_CONF_OK;

    for (;;) {
        n = wd_read_glob(&gl, &name);

        if (n != WD_OK) {
            break;
        }

        file.len = name.len;
        file.data = wd_pnalloc(cf->pool, name.len + 1);

        if (file.data == NULL) {
            rv = WD_CONF_ERROR;
            break;
        }

        wd_cpystrn(file.data, name.data, name.len + 1);

        rv = wd_conf_parse(cf, &file);

        if (rv != WD_CONF_OK) {
            break;
        }
    }

    wd_close_glob(&gl);

    return rv;
}

wd_int_t
wd_get_full_name(wd_pool_t *pool, wd_str_t *prefix, wd_str_t *name)
{
    u_char *p;
    size_t len;

    if (name->len > 0 && name->data[0] == '/') {
        return WD_OK;
    }

    len = prefix->len;

    p = wd_pnalloc(pool, len + name->len + 1);

    if (p == NULL) {
        return WD_ERROR;
    }

    wd_memcpy(p, prefix->data, len);
    wd_cpystrn(p + len, name->data, name->len + 1);

    name->len += len;
    name->data = p;

    return WD_OK;
}

wd_int_t
wd_conf_full_name(wd_cycle_t *cycle, wd_str_t *name, wd_uint_t conf_prefix)
{
    wd_str_t *prefix;

    prefix = conf_prefix ? &cycle->conf_prefix : &cycle->prefix;

    return wd_get_full_name(cycle->pool, prefix, name);
}

void
wd_conf_log_error(wd_uint_t level, wd_conf_t *cf, wd_err_t err,
    const char *fmt, ...)
{
    u_char errstr[WD_MAX_ERROR_STR], *p, *last;
    va_list args;

    last = errstr + WD_MAX_ERROR_STR;

    va_start(args, fmt);
    p = wd_vslprintf(errstr, last, fmt, args);
    va_end(args);

    if (err) {
        p = wd_log_errno(p, last, err);
    }

    if (cf->conf_file == NULL) {
        wd_log_error(level, cf->log, 0, "%.*s", (int) (p - errstr), errstr);
        return;
    }

    if (cf->conf_file->is_param) {
        wd_log_error(level, cf->log, 0, "%.*s in command line",
                     (int) (p - errstr), errstr);
        return;
    }

    wd_log_error(level, cf->log, 0, "%.*s in %s:%lu", (int) (p - errstr),
                 errstr, cf->conf_file->name.data,
                 (unsigned long) cf->conf_file->line);
}

/* Finds or registers an open file by name; "stderr" is the fd 2. */
wd_open_file_t *
wd_conf_open_file(wd_cycle_t *cycle, wd_str_t *name)
{
    wd_str_t full;
    wd_uint_t i;
    wd_list_part_t *part;
    wd_open_file_t *file;

    if (name->len) {
        full = *name;

        if (wd_conf_full_name(cycle, &full, 0) != WD_OK) {
            return NULL;
        }

    } else {
        wd_str_null(&full);
    }

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

        if (full.len == file[i].name.len
            && (full.len == 0
                || wd_strcmp(full.data, file[i].name.data) == 0))
        {
            return &file[i];
        }
    }

    file = wd_list_push(&cycle->open_files);

    if (file == NULL) {
        return NULL;
    }

    file->fd = full.len ? WD_INVALID_FD : STDERR_FILENO;
    file->name = full;
    file->flush = NULL;
    file->data = NULL;

    return file;
}

static wd_command_t wd_conf_commands[] = {

    { wd_string("include"),
      WD_ANY_CONF | WD_CONF_TAKE1,
      wd_conf_include,
      0,
      0,
      NULL },

    wd_null_command
};

wd_module_t wd_conf_module = {
    WD_MODULE_V1,
    NULL,
    wd_conf_commands,
    WD_CONF_MODULE,
    NULL, NULL, NULL, NULL, NULL
};
