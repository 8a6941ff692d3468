/*
 * Generic directive setters.  Each fills the field at cmd->offset of the
 * conf struct, rejects a second occurrence as "is duplicate", and answers
 * bad values with nginx's words.
 */

#include <wd_core.h>

#define wd_conf_field(conf, cmd, type) ((type *) ((char *) conf + cmd->offset))

static char *
wd_conf_post(wd_conf_t *cf, wd_command_t *cmd, void *field)
{
    wd_conf_post_t *post;

    if (cmd->post == NULL) {
        return WD_CONF_OK;
    }

    post = cmd->post;

    return post->post_handler(cf, post, field);
}

char *
wd_conf_set_flag_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value;
    wd_flag_t *fp;

    fp = wd_conf_field(conf, cmd, wd_flag_t);

    if (*fp != WD_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (wd_strcasecmp(value[1].data, (u_char *) "on") == 0) {
        *fp = 1;

    } else if (wd_strcasecmp(value[1].data, (u_char *) "off") == 0) {
        *fp = 0;

    } else {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "invalid value \"%s\" in \"%s\" directive, "
                          "it must be \"on\" or \"off\"",
                          value[1].data, cmd->name.data);
        return WD_CONF_ERROR;
    }

    return wd_conf_post(cf, cmd, fp);
}

char *
wd_conf_set_str_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *field, *value;

    field = wd_conf_field(conf, cmd, wd_str_t);

    if (field->data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    *field = value[1];

    return wd_conf_post(cf, cmd, field);
}

char *
wd_conf_set_str_array_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value, *s;
    wd_array_t **a;

    a = wd_conf_field(conf, cmd, wd_array_t *);

    if (*a == WD_CONF_UNSET_PTR || *a == NULL) {
        *a = wd_array_create(cf->pool, 4, sizeof(wd_str_t));

        if (*a == NULL) {
            return WD_CONF_ERROR;
        }
    }

    s = wd_array_push(*a);

    if (s == NULL) {
        return WD_CONF_ERROR;
    }

    value = cf->args->elts;
    *s = value[1];

    return wd_conf_post(cf, cmd, s);
}

char *
wd_conf_set_keyval_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value;
    wd_array_t **a;
    wd_keyval_t *kv;

    a = wd_conf_field(conf, cmd, wd_array_t *);

    if (*a == NULL || *a == WD_CONF_UNSET_PTR) {
        *a = wd_array_create(cf->pool, 4, sizeof(wd_keyval_t));

        if (*a == NULL) {
            return WD_CONF_ERROR;
        }
    }

    kv = wd_array_push(*a);

    if (kv == NULL) {
        return WD_CONF_ERROR;
    }

    value = cf->args->elts;
    kv->key = value[1];
    kv->value = value[2];

    return wd_conf_post(cf, cmd, kv);
}

char *
wd_conf_set_num_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_int_t *np;
    wd_str_t *value;

    np = wd_conf_field(conf, cmd, wd_int_t);

    if (*np != WD_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;
    *np = wd_atoi(value[1].data, value[1].len);

    if (*np == WD_ERROR) {
        return "invalid number";
    }

    return wd_conf_post(cf, cmd, np);
}

char *
wd_conf_set_size_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    size_t *sp;
    wd_str_t *value;

    sp = wd_conf_field(conf, cmd, size_t);

    if (*sp != WD_CONF_UNSET_SIZE) {
        return "is duplicate";
    }

    value = cf->args->elts;
    *sp = (size_t) wd_parse_size(&value[1]);

    if (*sp == (size_t) WD_ERROR) {
        return "invalid value";
    }

    return wd_conf_post(cf, cmd, sp);
}

char *
wd_conf_set_off_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    off_t *op;
    wd_str_t *value;

    op = wd_conf_field(conf, cmd, off_t);

    if (*op != WD_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;
    *op = wd_parse_offset(&value[1]);

    if (*op == (off_t) WD_ERROR) {
        return "invalid value";
    }

    return wd_conf_post(cf, cmd, op);
}

char *
wd_conf_set_msec_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_msec_t *msp;
    wd_str_t *value;
    wd_int_t ms;

    msp = wd_conf_field(conf, cmd, wd_msec_t);

    if (*msp != WD_CONF_UNSET_MSEC) {
        return "is duplicate";
    }

    value = cf->args->elts;
    ms = wd_parse_time(&value[1], 0);

    if (ms == WD_ERROR) {
        return "invalid value";
    }

    *msp = (wd_msec_t) ms;

    return wd_conf_post(cf, cmd, msp);
}

char *
wd_conf_set_sec_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    time_t *sp;
    wd_str_t *value;
    wd_int_t s;

    sp = wd_conf_field(conf, cmd, time_t);

    if (*sp != WD_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;
    s = wd_parse_time(&value[1], 1);

    if (s == WD_ERROR) {
        return "invalid value";
    }

    *sp = (time_t) s;

    return wd_conf_post(cf, cmd, sp);
}

char *
wd_conf_set_bufs_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value;
    wd_bufs_t *bufs;
    ssize_t size;

    bufs = wd_conf_field(conf, cmd, wd_bufs_t);

    if (bufs->num) {
        return "is duplicate";
    }

    value = cf->args->elts;

    bufs->num = wd_atoi(value[1].data, value[1].len);

    if (bufs->num == WD_ERROR || bufs->num == 0) {
        bufs->num = 0;
        return "invalid value";
    }

    size = wd_parse_size(&value[2]);

    if (size == WD_ERROR || size == 0) {
        return "invalid value";
    }

    bufs->size = (size_t) size;

    return wd_conf_post(cf, cmd, bufs);
}

char *
wd_conf_set_enum_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_uint_t *np, i;
    wd_str_t *value;
    wd_conf_enum_t *e;

    np = wd_conf_field(conf, cmd, wd_uint_t);

    if (*np != WD_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;
    e = cmd->post;

    for (i = 0; e[i].name.len != 0; i++) {
        if (e[i].name.len == value[1].len
            && wd_strcasecmp(e[i].name.data, value[1].data) == 0)
        {
            *np = e[i].value;
            return WD_CONF_OK;
        }
    }

    wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid value \"%s\"",
                      value[1].data);

    return WD_CONF_ERROR;
}

char *
wd_conf_set_bitmask_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_uint_t *np, i, m;
    wd_str_t *value;
    wd_conf_bitmask_t *mask;

    np = wd_conf_field(conf, cmd, wd_uint_t);
    value = cf->args->elts;
    mask = cmd->post;

    for (i = 1; i < cf->args->nelts; i++) {
        for (m = 0; mask[m].name.len != 0; m++) {
            if (mask[m].name.len == value[i].len
                && wd_strcasecmp(mask[m].name.data, value[i].data) == 0)
            {
                break;
            }
        }

        if (mask[m].name.len == 0) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid value \"%s\"",
                              value[i].data);
            return WD_CONF_ERROR;
        }

        if (*np & mask[m].mask) {
            wd_conf_log_error(WD_LOG_WARN, cf, 0, "duplicate value \"%s\"",
                              value[i].data);

        } else {
            *np |= mask[m].mask;
        }
    }

    return WD_CONF_OK;
}

/* "path [level1 [level2 [level3]]]", levels of 1 or 2 hex digits. */
char *
wd_conf_set_path_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value;
    wd_uint_t i;
    wd_int_t level;
    wd_path_t *path, **slot;

    slot = wd_conf_field(conf, cmd, wd_path_t *);

    if (*slot && *slot != WD_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    path = wd_pcalloc(cf->pool, sizeof(wd_path_t));

    if (path == NULL) {
        return WD_CONF_ERROR;
    }

    value = cf->args->elts;
    path->name = value[1];

    if (path->name.len > 1 && path->name.data[path->name.len - 1] == '/') {
        path->name.len--;
    }

    if (wd_conf_full_name(cf->cycle, &path->name, 0) != WD_OK) {
        return WD_CONF_ERROR;
    }

    path->conf_file = cf->conf_file->name.data;
    path->line = cf->conf_file->line;

    for (i = 0; i + 2 < cf->args->nelts && i < 3; i++) {
        level = wd_atoi(value[i + 2].data, value[i + 2].len);

        if (level == WD_ERROR || level == 0 || level > 2) {
            return "invalid value";
        }

        path->level[i] = (size_t) level;
        path->len += (size_t) level + 1;
    }

    *slot = path;

    if (cmd->post) {
        return ((wd_conf_post_t *) cmd->post)->post_handler(cf, cmd->post,
                                                            slot);
    }

    return WD_CONF_OK;
}

/* "user:rw group:r all:r" into file permission bits. */
char *
wd_conf_set_access_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    u_char *p;
    wd_str_t *value;
    wd_uint_t *access, user, i, right, shift;

    access = wd_conf_field(conf, cmd, wd_uint_t);

    if (*access != WD_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;
    *access = 0;
    user = 0600;

    for (i = 1; i < cf->args->nelts; i++) {
        p = value[i].data;

        if (wd_strncmp(p, "user:", 5) == 0) {
            p += 5;
            shift = 6;

        } else if (wd_strncmp(p, "group:", 6) == 0) {
            p += 6;
            shift = 3;

        } else if (wd_strncmp(p, "all:", 4) == 0) {
            p += 4;
            shift = 0;

        } else {
            goto invalid;
        }

        if (wd_strcmp(p, "rw") == 0) {
            right = 6;

        } else if (wd_strcmp(p, "r") == 0) {
            right = 4;

        } else {
            goto invalid;
        }

        if (shift == 6) {
            user = right << 6;

        } else {
            *access |= right << shift;
        }
    }

    *access |= user;

    return WD_CONF_OK;

invalid:

    wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid value \"%s\"",
                      value[i].data);

    return WD_CONF_ERROR;
}

char *
wd_conf_check_num_bounds(wd_conf_t *cf, void *post, void *data)
{
    wd_conf_num_bounds_t *bounds = post;
    wd_int_t *np = data;

    if (bounds->high == -1) {
        if (*np >= bounds->low) {
            return WD_CONF_OK;
        }

        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "value must be equal to or greater than %ld",
                          (long) bounds->low);
        return WD_CONF_ERROR;
    }

    if (*np >= bounds->low && *np <= bounds->high) {
        return WD_CONF_OK;
    }

    wd_conf_log_error(WD_LOG_EMERG, cf, 0, "value must be between %ld and %ld",
                      (long) bounds->low, (long) bounds->high);

    return WD_CONF_ERROR;
}

char *
wd_conf_deprecated(wd_conf_t *cf, void *post, void *data)
{
    wd_conf_deprecated_t *d = post;

    wd_conf_log_error(WD_LOG_WARN, cf, 0,
                      "the \"%s\" directive is deprecated, "
                      "use the \"%s\" directive instead",
                      d->old_name, d->new_name);

    return WD_CONF_OK;
}
