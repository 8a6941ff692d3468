/*
 * Platform headers and the build's configuration (objs/config.h).
 * Every warden source file includes this first, through wd_core.h.
 */

#ifndef WD_CONFIG_H
#define WD_CONFIG_H

#include <config.h>

#include <sys/types.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/ioctl.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/prctl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <unistd.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <limits.h>
#include <glob.h>
#include <pwd.h>
#include <grp.h>
#include <dirent.h>
#include <sched.h>
#include <ctype.h>

typedef unsigned char u_char;

typedef intptr_t wd_int_t;
typedef uintptr_t wd_uint_t;
typedef intptr_t wd_flag_t;
typedef int wd_fd_t;
typedef int wd_err_t;
typedef wd_uint_t wd_msec_t;
typedef wd_int_t wd_msec_int_t;

#define WD_INVALID_FD -1
#define WD_INT_T_LEN (sizeof("-9223372036854775808") - 1)
#define WD_MAX_INT_T_VALUE INTPTR_MAX
#define WD_MAX_UINT32_VALUE 0xffffffffU
#define WD_MAX_OFF_T_VALUE INT64_MAX
#define WD_MAX_TIME_T_VALUE INT64_MAX
#define WD_OFF_T_LEN (sizeof("-9223372036854775808") - 1)
#define WD_TIME_T_LEN (sizeof("-9223372036854775808") - 1)

#define WD_ALIGNMENT sizeof(unsigned long)
#define WD_CACHE_LINE 64

#define wd_align(d, a) (((d) + (a - 1)) & ~(a - 1))
#define wd_align_ptr(p, a)                                                     \
    (u_char *) (((uintptr_t) (p) + ((uintptr_t) a - 1)) & ~((uintptr_t) a - 1))

#define wd_nelems(a) (sizeof(a) / sizeof((a)[0]))
#define wd_min(a, b) ((a) < (b) ? (a) : (b))
#define wd_max(a, b) ((a) > (b) ? (a) : (b))

#define WD_LINEFEED "\n"
#define LF ((u_char) '\n')
#define CR ((u_char) '\r')
#define CRLF "\r\n"

#define wd_printf_like(f, a) __attribute__((format(printf, f, a)))
#define wd_unlikely(x) __builtin_expect(!!(x), 0)
#define wd_likely(x) __builtin_expect(!!(x), 1)

#endif /* WD_CONFIG_H */
