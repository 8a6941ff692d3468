/*
 * Atomic operations for counters and locks in shared memory (GCC builtins).
 */

#ifndef WD_ATOMIC_H
#define WD_ATOMIC_H

typedef volatile wd_uint_t wd_atomic_t;
typedef wd_uint_t wd_atomic_uint_t;

#define wd_atomic_cmp_set(lock, old, set)                                      \
    __sync_bool_compare_and_swap(lock, old, set)
#define wd_atomic_fetch_add(value, add) __sync_fetch_and_add(value, add)
#define wd_memory_barrier() __sync_synchronize()
#if defined(__x86_64__) || defined(__i386__)
#define wd_cpu_pause() __builtin_ia32_pause()
#else
#define wd_cpu_pause()
#endif

#endif /* WD_ATOMIC_H */
