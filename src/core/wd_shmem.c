/*
 * Shared memory mappings.
 */

#include <wd_core.h>

wd_int_t
wd_shm_alloc(wd_shm_t *shm)
{
    shm->addr = mmap(NULL, shm->size, PROT_READ | PROT_WRITE,
                     MAP_ANON | MAP_SHARED, -1, 0);

    if (shm->addr == MAP_FAILED) {
        wd_log_error(WD_LOG_ALERT, shm->log, wd_errno,
                     "mmap(MAP_ANON|MAP_SHARED, %zu) failed", shm->size);
        shm->addr = NULL;
        return WD_ERROR;
    }

    return WD_OK;
}

void
wd_shm_free(wd_shm_t *shm)
{
    if (shm->addr && munmap(shm->addr, shm->size) == -1) {
        wd_log_error(WD_LOG_ALERT, shm->log, wd_errno,
                     "munmap(%p, %zu) failed", (void *) shm->addr,
                     shm->size);
    }

    shm->addr = NULL;
}

wd_shm_zone_t *
wd_shared_memory_add(wd_conf_t *cf, wd_str_t *name, size_t size, void *tag)
{
    wd_uint_t i;
    wd_shm_zone_t *zone;
    wd_list_part_t *part;

    part = &cf->cycle->shared_memory.part;
    zone = part->elts;

    for (i = 0; /* void */; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }
            part = part->next;
            zone = part->elts;
            i = 0;
        }

        if (name->len != zone[i].shm.name.len
            || wd_memcmp(name->data, zone[i].shm.name.data, name->len) != 0)
        {
            continue;
        }

        if (tag != zone[i].tag) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "the shared memory zone \"%.*s\" is "
                              "already declared for a different use",
                              wd_str_fmt(&zone[i].shm.name));
            return NULL;
        }

        if (zone[i].shm.size == 0) {
            zone[i].shm.size = size;
        }

        if (size && size != zone[i].shm.size) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "the size %zu of shared memory zone \"%.*s\" "
                              "conflicts with already declared size %zu",
                              size, wd_str_fmt(&zone[i].shm.name),
                              zone[i].shm.size);
            return NULL;
        }

        return &zone[i];
    }

    zone = wd_list_push(&cf->cycle->shared_memory);

    if (zone == NULL) {
        return NULL;
    }

    zone->data = NULL;
    zone->shm.log = cf->cycle->log;
    zone->shm.addr = NULL;
    zone->shm.size = size;
    zone->shm.name = *name;
    zone->shm.exists = 0;
    zone->init = NULL;
    zone->tag = tag;
    zone->sync = NULL;
    zone->noreuse = 0;

    return zone;
}
