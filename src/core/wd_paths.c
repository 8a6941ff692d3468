/*
 * Temporary-file directories: collected from the configuration, merged
 * by name, created (and handed to the worker user) when a cycle starts.
 */

#include <wd_core.h>

wd_int_t
wd_add_path(wd_conf_t *cf, wd_path_t **slot)
{
    wd_uint_t i, n;
    wd_path_t *path, **p;

    path = *slot;
    p = cf->cycle->paths.elts;

    for (i = 0; i < cf->cycle->paths.nelts; i++) {
        if (p[i]->name.len != path->name.len
            || wd_strcmp(p[i]->name.data, path->name.data) != 0)
        {
            continue;
        }

        for (n = 0; n < 3; n++) {
            if (p[i]->level[n] != path->level[n]) {
                if (path->conf_file == NULL) {
                    if (p[i]->conf_file == NULL) {
                        wd_log_error(WD_LOG_EMERG, cf->log, 0,
                                     "the default path name \"%s\" has "
                                     "the same name as another default "
                                     "path, but the different levels, "
                                     "you need to redefine one of them in "
                                     "http section", p[i]->name.data);
                        return WD_ERROR;
                    }

                    wd_log_error(WD_LOG_EMERG, cf->log, 0,
                                 "the path name \"%s\" in %s:%lu has the "
                                 "same name as default path, but the "
                                 "different levels, you need to define "
                                 "default path in http section",
                                 p[i]->name.data, p[i]->conf_file,
                                 (unsigned long) p[i]->line);
                    return WD_ERROR;
                }

                wd_log_error(WD_LOG_EMERG, cf->log, 0,
                             "the same path name \"%s\" in %s:%lu has "
                             "the different levels than in %s:%lu",
                             p[i]->name.data, p[i]->conf_file,
                             (unsigned long) p[i]->line, path->conf_file,
                             (unsigned long) path->line);
                return WD_ERROR;
            }
        }

        *slot = p[i];

        return WD_OK;
    }

    p = wd_array_push(&cf->cycle->paths);

    if (p == NULL) {
        return WD_ERROR;
    }

    *p = path;

    return WD_OK;
}

char *
wd_conf_merge_path_value(wd_conf_t *cf, wd_path_t **path, wd_path_t *prev,
    wd_path_init_t *init)
{
    wd_uint_t n;

    if (*path != NULL && *path != WD_CONF_UNSET_PTR) {
        return (wd_add_path(cf, path) == WD_OK) ? WD_CONF_OK : WD_CONF_ERROR;
    }

    if (prev != NULL && prev != WD_CONF_UNSET_PTR) {
        *path = prev;
        return WD_CONF_OK;
    }

    *path = wd_pcalloc(cf->pool, sizeof(wd_path_t));

    if (*path == NULL) {
        return WD_CONF_ERROR;
    }

    (*path)->name = init->name;

    if (wd_conf_full_name(cf->cycle, &(*path)->name, 0) != WD_OK) {
        return WD_CONF_ERROR;
    }

    for (n = 0; n < 3; n++) {
        (*path)->level[n] = init->level[n];
        (*path)->len += init->level[n] + (init->level[n] ? 1 : 0);
    }

    if (wd_add_path(cf, path) != WD_OK) {
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;
}

/* Creates one directory; as root, gives it to the worker user. */
static wd_int_t
wd_create_path_dir(wd_cycle_t *cycle, wd_path_t *path, uid_t user)
{
    wd_err_t err;
    struct stat fi;

    if (wd_create_dir(path->name.data, 0700) == -1) {
        err = wd_errno;

        if (err != WD_EEXIST) {
            wd_log_error(WD_LOG_EMERG, cycle->log, err,
                         "mkdir() \"%s\" failed", path->name.data);
            return WD_ERROR;
        }
    }

    if (user == (uid_t) WD_CONF_UNSET_UINT || geteuid() != 0) {
        return WD_OK;
    }

    if (stat((const char *) path->name.data, &fi) == -1) {
        wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                     "stat() \"%s\" failed", path->name.data);
        return WD_ERROR;
    }

    if (fi.st_uid != user && chown((const char *) path->name.data, user, -1)
                                 == -1)
    {
        wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                     "chown(\"%s\", %ld) failed", path->name.data,
                     (long) user);
        return WD_ERROR;
    }

    if ((fi.st_mode & (S_IRUSR | S_IWUSR | S_IXUSR))
            != (S_IRUSR | S_IWUSR | S_IXUSR)
        && chmod((const char *) path->name.data,
                 fi.st_mode | S_IRUSR | S_IWUSR | S_IXUSR) == -1)
    {
        wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                     "chmod() \"%s\" failed", path->name.data);
        return WD_ERROR;
    }

    return WD_OK;
}

wd_int_t
wd_create_paths(wd_cycle_t *cycle, uid_t user)
{
    wd_uint_t i;
    wd_path_t **path;

    path = cycle->paths.elts;

    for (i = 0; i < cycle->paths.nelts; i++) {
        if (wd_create_path_dir(cycle, path[i], user) != WD_OK) {
            return WD_ERROR;
        }
    }

    return WD_OK;
}
