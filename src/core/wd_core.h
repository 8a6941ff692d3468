/*
 * The core layer: return codes, forward type names and the core headers.
 * Layers above (event, http) include this; core files include nothing above.
 */

#ifndef WD_CORE_H
#define WD_CORE_H

#include <wd_config.h>

typedef struct wd_module_s wd_module_t;
typedef struct wd_conf_s wd_conf_t;
typedef struct wd_cycle_s wd_cycle_t;
typedef struct wd_pool_s wd_pool_t;
typedef struct wd_chain_s wd_chain_t;
typedef struct wd_log_s wd_log_t;
typedef struct wd_open_file_s wd_open_file_t;
typedef struct wd_command_s wd_command_t;
typedef struct wd_file_s wd_file_t;
typedef struct wd_event_s wd_event_t;
typedef struct wd_connection_s wd_connection_t;

typedef void (*wd_event_handler_pt)(wd_event_t *ev);
typedef void (*wd_connection_handler_pt)(wd_connection_t *c);

/* The one return-code enum (STYLE.md rule 7); handlers may also return
 * an HTTP status, which is always positive. */
enum {
    WD_OK = 0,
    WD_ERROR = -1,
    WD_AGAIN = -2,
    WD_BUSY = -3,
    WD_DONE = -4,
    WD_DECLINED = -5,
    WD_ABORT = -6
};

#include <wd_errno.h>
#include <wd_atomic.h>
#include <wd_queue.h>
#include <wd_rbtree.h>
#include <wd_time.h>
#include <wd_string.h>
#include <wd_palloc.h>
#include <wd_array.h>
#include <wd_list.h>
#include <wd_hash.h>
#include <wd_buf.h>
#include <wd_files.h>
#include <wd_log.h>
#include <wd_times.h>
#include <wd_parse.h>
#include <wd_inet.h>
#include <wd_proxy_protocol.h>
#include <wd_shmem.h>
#include <wd_regex.h>
#include <wd_conf_file.h>
#include <wd_module.h>
#include <wd_cycle.h>
#include <wd_temp_file.h>
#include <wd_open_file_cache.h>

/* Assertions that stay in production builds: a broken invariant is logged
 * and the process aborts, rather than serving on corrupted state. */
#define WD_BUG_ON(cond)                                                        \
    do {                                                                       \
        if (wd_unlikely(cond)) {                                               \
            wd_bug(__FILE__, __LINE__, #cond);                                 \
        }                                                                      \
    } while (0)

void wd_bug(const char *file, int line, const char *cond)
    __attribute__((noreturn));

#define wd_abs(value) (((value) >= 0) ? (value) : -(value))

#endif /* WD_CORE_H */
