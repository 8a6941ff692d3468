/*
 * Shared memory: anonymous shared mappings made by the master before it
 * forks, so every worker sees the same bytes.  Zones are named regions
 * that modules ask for at configuration time; a reload keeps a zone's
 * contents when its name, size and owner stay the same.
 */

#ifndef WD_SHMEM_H
#define WD_SHMEM_H

typedef struct {
    u_char *addr;
    size_t size;
    wd_str_t name;
    wd_log_t *log;
    wd_uint_t exists;           /* inherited from the previous cycle */
} wd_shm_t;

typedef struct wd_shm_zone_s wd_shm_zone_t;

/* Called once the zone is mapped; data is the old cycle's zone data when
 * the zone was kept across a reload, else NULL. */
typedef wd_int_t (*wd_shm_zone_init_pt)(wd_shm_zone_t *zone, void *data);

struct wd_shm_zone_s {
    void *data;                 /* the owning module's state */
    wd_shm_t shm;
    wd_shm_zone_init_pt init;
    void *tag;                  /* the owning module */
    void *sync;
    wd_uint_t noreuse;
};

wd_int_t wd_shm_alloc(wd_shm_t *shm);
void wd_shm_free(wd_shm_t *shm);

/* Declares a zone; the same name twice must agree on tag and size. */
wd_shm_zone_t *wd_shared_memory_add(wd_conf_t *cf, wd_str_t *name,
    size_t size, void *tag);

#endif /* WD_SHMEM_H */
