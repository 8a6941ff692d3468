/*
 * errno names and the strerror text cache.
 */

#ifndef WD_ERRNO_H
#define WD_ERRNO_H

#define WD_EPERM EPERM
#define WD_ENOENT ENOENT
#define WD_ENOPATH ENOENT
#define WD_ESRCH ESRCH
#define WD_EINTR EINTR
#define WD_ECHILD ECHILD
#define WD_ENOMEM ENOMEM
#define WD_EACCES EACCES
#define WD_EBUSY EBUSY
#define WD_EEXIST EEXIST
#define WD_EXDEV EXDEV
#define WD_ENOTDIR ENOTDIR
#define WD_EISDIR EISDIR
#define WD_EINVAL EINVAL
#define WD_ENFILE ENFILE
#define WD_EMFILE EMFILE
#define WD_ENOSPC ENOSPC
#define WD_EPIPE EPIPE
#define WD_EAGAIN EAGAIN
#define WD_EINPROGRESS EINPROGRESS
#define WD_EADDRINUSE EADDRINUSE
#define WD_ECONNABORTED ECONNABORTED
#define WD_ECONNRESET ECONNRESET
#define WD_ENOTCONN ENOTCONN
#define WD_ETIMEDOUT ETIMEDOUT
#define WD_ECONNREFUSED ECONNREFUSED
#define WD_ENAMETOOLONG ENAMETOOLONG
#define WD_ENETDOWN ENETDOWN
#define WD_ENETUNREACH ENETUNREACH
#define WD_EHOSTDOWN EHOSTDOWN
#define WD_EHOSTUNREACH EHOSTUNREACH
#define WD_ENOSYS ENOSYS
#define WD_ECANCELED ECANCELED
#define WD_EILSEQ EILSEQ
#define WD_ENOMOREFILES 0
#define WD_ELOOP ELOOP
#define WD_EBADF EBADF
#define WD_EMLINK EMLINK

#define wd_errno errno
#define wd_socket_errno errno
#define wd_set_errno(err) errno = err

/* Copies the text of err into buf (at most size bytes) and returns the end;
 * the text is nginx's "N: message" form without the parentheses. */
u_char *wd_strerror(wd_err_t err, u_char *buf, size_t size);

#endif /* WD_ERRNO_H */
