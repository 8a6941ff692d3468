/*
 * Fuzzes what an upstream server answers, through the real proxy: the
 * status line and header parser, the body framing filters, buffering to
 * memory and temporary files, keep-alive reuse and its retry, error
 * interception, X-Accel-Redirect, proxy_redirect, proxy_cookie_* and 101
 * tunnels.  A real cycle is built once from a configuration whose
 * locations proxy_pass to a unix socket the harness listens on.  For each
 * input a client request goes into one end of a socketpair warden serves;
 * between event loop turns the harness accepts warden's connections to the
 * upstream socket, reads the requests and writes the input as the answer.
 *
 * The input: three control bytes, then what the upstream sends.
 *   byte 0  bits 0-2: the location (/b/ /u/ /k/ /k1/ /e/ /x/ /ws/ /r/);
 *           bits 3-4: GET, HEAD, POST, chunked POST; bit 5: a second,
 *           pipelined request; bit 6: the client closes early; bit 7: the
 *           client reads nothing until the rest stalls
 *   byte 1  bytes per write to the upstream socket (0: all at once), with
 *           a loop turn between writes
 *   byte 2  bits 0-1: the last upstream connection is closed, shut down
 *           for writing, or left open; bits 2-6: the loop turn at which an
 *           early client closes (times 2); bit 7: a POST's body is 512 KB
 *           (so it goes through a temporary file, and the request to the
 *           upstream is sent in parts; /u/ and /k1/ stream it with
 *           proxy_request_buffering off, chunked to /k1/'s HTTP/1.1)
 *   rest    answers separated by "\xffK\xff" (the connection stays open)
 *           or "\xffC\xff" (it is closed); each answer is written once a
 *           request arrives, on the connection it arrived on
 *
 * What warden sends upstream must be requests one after the other, each
 * with the body its Content-Length says (a request sent into the middle
 * of another would be read by the upstream as part of it).
 *
 * When nothing moves for a few turns the harness moves on: the client
 * starts reading, then every upstream connection is closed, then the
 * client shuts down its write side, then closes.  Warden must then have
 * closed every connection; if not, it hangs and the harness aborts, as it
 * does when an input leaves a connection, a descriptor or memory behind.
 * "FUZZ_UPSTREAM_LOG=1" sends warden's info log to stderr.
 */

#include <dirent.h>

#include "fuzz_cycle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ASan's, when linked; NULL in a plain replay build. */
size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

#define FUZZ_MAX_UP 8           /* upstream connections held at once */
#define FUZZ_STALL 12           /* quiet turns before the next step */
#define FUZZ_MAX_TURNS 20000
#define FUZZ_BIG_BODY (512 * 1024)

enum {
    FUZZ_RUN,                   /* the upstream answers */
    FUZZ_CLIENT_READS,          /* a late client starts reading */
    FUZZ_UPSTREAM_CLOSED,       /* every upstream connection is closed */
    FUZZ_CLIENT_SHUT,           /* the client sent its EOF */
    FUZZ_CLIENT_CLOSED,         /* the client closed its end */
    FUZZ_HANG
};

/* An upstream connection as the harness sees it, with the framing of
 * the requests warden sends on it. */
typedef struct {
    int fd;
    unsigned pending:1;         /* request bytes came since an answer */
    unsigned raw:1;             /* an Upgrade request: a tunnel may follow */
    unsigned chunked:1;         /* in a chunked body */
    size_t head_len;            /* of the request header being read */
    off_t body;                 /* body bytes still to come */
    wd_http_chunked_t ch;       /* the chunked body's framing */
    u_char head[4096];
} fuzz_up_t;

typedef struct {
    const uint8_t *next;        /* answers not begun */
    const uint8_t *end;
    const uint8_t *out;         /* the answer being written */
    const uint8_t *out_end;
    fuzz_up_t *out_up;          /* where it goes */
    int out_then;               /* 'K', 'C' or 0: the last answer */

    size_t piece;
    unsigned last_end;          /* byte 2, bits 0-1 */
    unsigned early_close;       /* 0, or the turn the client closes */
    unsigned slow;

    int client;
    char *req;                  /* the client's request(s) */
    size_t req_len;
    size_t req_sent;
    unsigned client_eof:1;
    unsigned client_closed:1;

    fuzz_up_t up[FUZZ_MAX_UP];

    wd_uint_t stage;
    wd_uint_t quiet;            /* turns without a byte moving */
    wd_uint_t moved;
    wd_uint_t free_n;           /* warden's free connections last turn */
} fuzz_run_t;

static wd_cycle_t *fuzz_cycle;
static wd_listening_t *fuzz_ls;
static wd_uint_t fuzz_free_n;   /* warden's free connections when idle */
static int fuzz_up_ls = -1;

static const char *fuzz_locations[] = {
    "/b/", "/u/", "/k/", "/k1/", "/e/", "/x/", "/ws/", "/r/"
};

static const char fuzz_conf[] =
    "daemon off;\n"
    "master_process off;\n"
    "error_log %s;\n"
    "events { worker_connections 64; }\n"
    "http {\n"
    "    default_type text/plain;\n"
    "    access_log off;\n"
    "    client_body_buffer_size 64;\n"
    "    client_max_body_size 1m;\n"
    "    lingering_time 1s;\n"
    "    lingering_timeout 100ms;\n"
    "    proxy_buffers 2 1k;\n"
    "    proxy_buffer_size 1k;\n"
    "    proxy_busy_buffers_size 1k;\n"
    "    proxy_temp_path %s/proxy_temp 1 2;\n"
    /* a rate limit would make the client wait in real time */
    "    proxy_ignore_headers X-Accel-Limit-Rate;\n"
    "    upstream plain { server unix:%s/up.sock; }\n"
    "    upstream ka {\n"
    "        server unix:%s/up.sock max_fails=0;\n"
    "        server unix:%s/up.sock max_fails=0;\n"
    "        keepalive 2;\n"
    "    }\n"
    "    upstream ka1 { server unix:%s/up.sock; keepalive 2; }\n"
    "    server {\n"
    "        listen unix:%s/sock;\n"
    "        root %s/html;\n"
    "        location /b/ {\n"
    "            proxy_pass http://plain/up/;\n"
    "            proxy_cookie_path /up/ /b/;\n"
    "        }\n"
    "        location /u/ {\n"
    "            proxy_pass http://plain;\n"
    "            proxy_buffering off;\n"
    "            proxy_request_buffering off;\n"
    "        }\n"
    "        location /k/ {\n"
    "            proxy_pass http://ka;\n"
    "            proxy_http_version 1.1;\n"
    "            proxy_set_header Connection \"\";\n"
    "            proxy_next_upstream error timeout invalid_header http_500\n"
    "                                http_502 http_404 non_idempotent;\n"
    "        }\n"
    "        location /k1/ {\n"
    "            proxy_pass http://ka1;\n"
    "            proxy_http_version 1.1;\n"
    "            proxy_set_header Connection \"\";\n"
    "            proxy_buffering off;\n"
    "            proxy_request_buffering off;\n"
    "        }\n"
    "        location /e/ {\n"
    "            proxy_pass http://plain;\n"
    "            proxy_intercept_errors on;\n"
    "            error_page 404 /i/404;\n"
    "            error_page 401 /i/p/401;\n"
    "            error_page 500 502 503 = @named;\n"
    "            error_page 403 =200 /index.html;\n"
    "        }\n"
    "        location /x/ {\n"
    "            proxy_pass http://plain$uri$is_args$args;\n"
    "            proxy_max_temp_file_size 0;\n"
    "        }\n"
    "        location /ws/ {\n"
    "            proxy_pass http://plain;\n"
    "            proxy_http_version 1.1;\n"
    "            proxy_set_header Upgrade $http_upgrade;\n"
    "            proxy_set_header Connection \"upgrade\";\n"
    "        }\n"
    "        location /r/ {\n"
    "            proxy_pass http://plain/up/;\n"
    "            proxy_redirect http://up.test/ /r/;\n"
    "            proxy_redirect ~^https?://([a-z]+)\\.test/(.*)$ /re/$1/$2;\n"
    "            proxy_redirect /up/ /r/;\n"
    "            proxy_cookie_domain up.test .fuzz.test;\n"
    "            proxy_cookie_domain ~^(.+)\\.up$ $1.fuzz;\n"
    "            proxy_cookie_path /up/ /r/;\n"
    "            proxy_cookie_path ~^/a/(.*)$ /b/$1;\n"
    "            proxy_pass_header Server;\n"
    "            proxy_hide_header X-Secret;\n"
    "            proxy_buffering off;\n"
    "        }\n"
    "        location /i/ {\n"
    "            internal;\n"
    "            return 200 \"internal $uri $args\\n\";\n"
    "        }\n"
    "        location /i/p/ {\n"
    "            internal;\n"
    "            proxy_pass http://plain;\n"
    "        }\n"
    "        location @named { return 202 \"named\\n\"; }\n"
    "    }\n"
    "}\n";

/* ---- setting up ----------------------------------------------------- */

/* The socket warden's upstream connections reach. */
static void
fuzz_listen(const char *dir)
{
    struct sockaddr_un sa;

    wd_memzero(&sa, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/up.sock", dir);

    fuzz_up_ls = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        0);

    if (fuzz_up_ls == -1
        || bind(fuzz_up_ls, (struct sockaddr *) &sa, sizeof(sa)) == -1
        || listen(fuzz_up_ls, 64) == -1)
    {
        abort();
    }
}

/* A temporary prefix with the configuration, a page and the sockets. */
static char *
fuzz_prefix(void)
{
    char *dir, path[256], conf[8192], log[300];
    static char template[] = "/tmp/warden-fuzz-up-XXXXXX";

    dir = fuzz_tmp_prefix(template);

    snprintf(path, sizeof(path), "%s/html", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/html/index.html", dir);
    fuzz_write(path, "<html>index</html>\n");

    if (getenv("FUZZ_UPSTREAM_LOG")) {
        snprintf(log, sizeof(log), "stderr info");
    } else {
        snprintf(log, sizeof(log), "/dev/null emerg");
    }

    snprintf(conf, sizeof(conf), fuzz_conf, log, dir, dir, dir, dir, dir,
             dir, dir);
    snprintf(path, sizeof(path), "%s/fuzz.conf", dir);
    fuzz_write(path, conf);

    fuzz_listen(dir);

    return dir;
}

static void
fuzz_init(void)
{
    signal(SIGPIPE, SIG_IGN);   /* as warden's master does */

    fuzz_cycle = fuzz_cycle_start(fuzz_prefix());
    fuzz_ls = fuzz_cycle->listening.elts;
    fuzz_free_n = fuzz_cycle->free_connection_n;
}

/* ---- the client ----------------------------------------------------- */

/* A POST's body: 7 bytes, or FUZZ_BIG_BODY of them. */
static size_t
fuzz_body(char *buf, size_t big)
{
    if (big) {
        wd_memset(buf, 'b', FUZZ_BIG_BODY);
        return FUZZ_BIG_BODY;
    }

    wd_memcpy(buf, "key=val", 7);

    return 7;
}

/* One request of those byte 0 asks for, at buf; its length. */
static size_t
fuzz_request_one(uint8_t ctl, unsigned i, unsigned last, size_t big,
    char *buf)
{
    size_t n;
    unsigned method;
    const char *loc, *close;

    loc = fuzz_locations[ctl & 7];
    method = (ctl >> 3) & 3;
    close = last ? "Connection: close\r\n" : "";

    if (method == 0 && ctl % 8 == 6) {
        return sprintf(buf, "GET %sws?%u HTTP/1.1\r\nHost: fuzz\r\n"
                            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Version: 13\r\n\r\n"
                            "\x81\x85\x01\x02\x03\x04ig" "opk", loc, i);
    }

    if (method <= 1) {
        return sprintf(buf, "%s %sa/b%%20c?x=%u HTTP/1.1\r\nHost: fuzz\r\n"
                            "Cookie: c=1\r\n%s\r\n",
                       method ? "HEAD" : "GET", loc, i, close);
    }

    if (method == 2) {
        n = sprintf(buf, "POST %sform HTTP/1.1\r\nHost: fuzz\r\n"
                         "Content-Length: %zu\r\n%s\r\n",
                    loc, big ? (size_t) FUZZ_BIG_BODY : 7, close);

        return n + fuzz_body(buf + n, big);
    }

    n = sprintf(buf, "POST %sup HTTP/1.1\r\nHost: fuzz\r\n"
                     "Transfer-Encoding: chunked\r\n%s\r\n%zx\r\n",
                loc, close, big ? (size_t) FUZZ_BIG_BODY : 7);
    n += fuzz_body(buf + n, big);

    return n + sprintf(buf + n, "\r\n0\r\n\r\n");
}

/* The request(s) bytes 0 and 2 ask for. */
static void
fuzz_request(fuzz_run_t *run, uint8_t ctl, uint8_t ctl2)
{
    size_t big;
    unsigned i, count;

    count = (ctl & 0x20) ? 2 : 1;
    big = ctl2 & 0x80;

    run->req = malloc(count * (512 + (big ? FUZZ_BIG_BODY : 0)));

    if (run->req == NULL) {
        abort();
    }

    for (i = 0; i < count; i++) {
        run->req_len += fuzz_request_one(ctl, i, i + 1 == count, big,
                                         run->req + run->req_len);
    }
}

/* Writes what the client socket takes of the request(s). */
static void
fuzz_client_write(fuzz_run_t *run)
{
    ssize_t n;

    if (run->client == -1 || run->req_sent == run->req_len) {
        return;
    }

    n = send(run->client, run->req + run->req_sent,
             run->req_len - run->req_sent, MSG_NOSIGNAL);

    if (n > 0) {
        run->req_sent += n;
        run->moved++;
    }
}

/* Reads and drops what warden sent the client; notes its EOF. */
static void
fuzz_client_read(fuzz_run_t *run)
{
    char buf[16384];
    ssize_t n;

    if (run->client == -1 || run->client_eof) {
        return;
    }

    if (run->slow && run->stage < FUZZ_CLIENT_READS) {
        return;
    }

    for (;;) {
        n = read(run->client, buf, sizeof(buf));

        if (n > 0) {
            run->moved++;
            continue;
        }

        if (n == 0 || errno != EAGAIN) {
            run->client_eof = 1;
            run->moved++;
        }

        return;
    }
}

static void
fuzz_client_close(fuzz_run_t *run)
{
    if (run->client != -1) {
        close(run->client);
        run->client = -1;
        run->client_closed = 1;
    }
}

/* ---- the upstream --------------------------------------------------- */

static void
fuzz_up_close(fuzz_run_t *run, fuzz_up_t *up)
{
    if (up->fd != -1) {
        close(up->fd);
        up->fd = -1;
        up->pending = 0;
    }

    if (run->out_up == up) {
        run->out = NULL;        /* the rest of that answer is dropped */
        run->out_up = NULL;
    }
}

static void
fuzz_up_accept(fuzz_run_t *run)
{
    int fd, size;
    wd_uint_t i;

    for (;;) {
        fd = accept4(fuzz_up_ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd == -1) {
            return;
        }

        run->moved++;

        for (i = 0; i < FUZZ_MAX_UP; i++) {
            if (run->up[i].fd == -1) {
                break;
            }
        }

        if (i == FUZZ_MAX_UP || run->stage >= FUZZ_UPSTREAM_CLOSED) {
            close(fd);
            continue;
        }

        /* small: warden's reads and the harness's writes come in parts */
        size = 4096;
        (void) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));

        wd_memzero(&run->up[i], offsetof(fuzz_up_t, head));
        run->up[i].fd = fd;
    }
}

static void
fuzz_bad_request(fuzz_up_t *up, const char *why)
{
    fprintf(stderr, "warden sent upstream %s: \"%.*s\"\n", why,
            (int) wd_min(up->head_len, (size_t) 200), up->head);
    abort();
}

/* A request header warden sent is whole in up->head: its request line
 * and the body length it announces. */
static void
fuzz_request_head(fuzz_up_t *up)
{
    u_char *p, *last, *v;

    p = up->head;
    last = up->head + up->head_len;

    while (p < last && *p >= 'A' && *p <= 'Z') {
        p++;
    }

    if (p == up->head || p + 2 > last || p[0] != ' ' || p[1] != '/') {
        fuzz_bad_request(up, "no request line where a request begins");
    }

    *(last - 1) = '\0';            /* the header's last LF */

    v = (u_char *) strcasestr((char *) up->head, "\r\nContent-Length: ");

    if (v) {
        up->body = strtoll((char *) v + sizeof("\r\nContent-Length: ") - 1,
                           NULL, 10);
    }

    if (strcasestr((char *) up->head, "\r\nTransfer-Encoding: chunked\r\n")) {
        if (v) {
            fuzz_bad_request(up, "both Content-Length and chunked");
        }

        up->chunked = 1;
        wd_memzero(&up->ch, sizeof(wd_http_chunked_t));
    }

    if (strcasestr((char *) up->head, "\r\nUpgrade:")) {
        up->raw = 1;
    }

    up->head_len = 0;
}

/* Follows a chunked request body (proxy_request_buffering off): what
 * of the n bytes at p it takes. */
static size_t
fuzz_chunked_bytes(fuzz_up_t *up, const u_char *p, size_t n)
{
    off_t take;
    wd_int_t rc;
    wd_buf_t b;
    wd_http_request_t r;

    wd_memzero(&b, sizeof(wd_buf_t));
    wd_memzero(&r, sizeof(wd_http_request_t));
    b.pos = (u_char *) p;
    b.last = (u_char *) p + n;

    for ( ;; ) {
        rc = wd_http_parse_chunked(&r, &b, &up->ch);

        if (rc == WD_OK) {
            take = wd_min(up->ch.size, (off_t) (b.last - b.pos));
            up->ch.size -= take;
            b.pos += take;
            continue;
        }

        if (rc == WD_DONE) {
            up->chunked = 0;
            return b.pos - p;
        }

        if (rc == WD_AGAIN) {
            return n;
        }

        fuzz_bad_request(up, "an invalid chunked body");
    }
}

/* Follows the framing of what warden sent on up: n bytes at p. */
static void
fuzz_request_bytes(fuzz_up_t *up, const u_char *p, size_t n)
{
    size_t take;

    while (n && !up->raw) {
        if (up->chunked) {
            take = fuzz_chunked_bytes(up, p, n);
            p += take;
            n -= take;
            continue;
        }

        if (up->body) {
            take = wd_min((off_t) n, up->body);
            up->body -= take;
            p += take;
            n -= take;
            continue;
        }

        if (up->head_len == sizeof(up->head)) {
            up->raw = 1;            /* too long to follow */
            return;
        }

        up->head[up->head_len++] = *p++;
        n--;

        if (up->head_len >= 4
            && wd_memcmp(up->head + up->head_len - 4, "\r\n\r\n", 4) == 0)
        {
            fuzz_request_head(up);

        } else if (up->head_len == 1 && (*up->head < 'A' || *up->head > 'Z')) {
            fuzz_bad_request(up, "no request line where a request begins");
        }
    }
}

/* Reads and drops the requests (and tunnelled bytes) warden sends. */
static void
fuzz_up_read(fuzz_run_t *run)
{
    char buf[4096];
    ssize_t n;
    wd_uint_t i;

    for (i = 0; i < FUZZ_MAX_UP; i++) {
        while (run->up[i].fd != -1) {
            n = read(run->up[i].fd, buf, sizeof(buf));

            if (n > 0) {
                fuzz_request_bytes(&run->up[i], (u_char *) buf, n);
                run->up[i].pending = 1;
                run->moved++;
                continue;
            }

            if (n == 0 || errno != EAGAIN) {
                run->moved++;
                fuzz_up_close(run, &run->up[i]);
            }

            break;
        }
    }
}

/* The next answer and what follows it: "\xffK\xff", "\xffC\xff", or the
 * end of the input. */
static void
fuzz_next_answer(fuzz_run_t *run)
{
    const uint8_t *p;

    run->out = run->next;
    run->out_then = 0;

    for (p = run->next; p + 3 <= run->end; p++) {
        if (p[0] == 0xff && p[2] == 0xff && (p[1] == 'K' || p[1] == 'C')) {
            run->out_end = p;
            run->out_then = p[1];
            run->next = p + 3;
            return;
        }
    }

    run->out_end = run->end;
    run->next = run->end;
}

/* An answer is over: its connection stays, closes or ends as byte 2 says.
 */
static void
fuzz_answer_done(fuzz_run_t *run)
{
    fuzz_up_t *up;

    up = run->out_up;
    run->out = NULL;
    run->out_up = NULL;

    if (run->out_then == 'C'
        || (run->out_then == 0 && run->last_end == 0))
    {
        fuzz_up_close(run, up);

    } else if (run->out_then == 0 && run->last_end == 1) {
        shutdown(up->fd, SHUT_WR);
    }
}

/* Starts the next answer once a request came, and writes a piece. */
static void
fuzz_up_write(fuzz_run_t *run)
{
    size_t len;
    ssize_t n;
    wd_uint_t i;

    if (run->out == NULL) {
        if (run->next == run->end || run->stage >= FUZZ_UPSTREAM_CLOSED) {
            return;
        }

        for (i = 0; i < FUZZ_MAX_UP; i++) {
            if (run->up[i].fd != -1 && run->up[i].pending) {
                break;
            }
        }

        if (i == FUZZ_MAX_UP) {
            return;
        }

        run->up[i].pending = 0;
        run->out_up = &run->up[i];
        fuzz_next_answer(run);
    }

    len = run->out_end - run->out;

    if (run->piece && len > run->piece) {
        len = run->piece;
    }

    n = (len == 0) ? 0 : send(run->out_up->fd, run->out, len, MSG_NOSIGNAL);

    if (n > 0) {
        run->out += n;
        run->moved++;

    } else if (n == -1 && errno != EAGAIN) {
        fuzz_up_close(run, run->out_up);
        return;
    }

    if (run->out == run->out_end) {
        fuzz_answer_done(run);
    }
}

static void
fuzz_up_close_all(fuzz_run_t *run)
{
    wd_uint_t i;

    for (i = 0; i < FUZZ_MAX_UP; i++) {
        fuzz_up_close(run, &run->up[i]);
    }
}

/* ---- the loop ------------------------------------------------------- */

/* Keeps the loop from sleeping: a turn only polls. */
static void
fuzz_tick_handler(wd_event_t *ev)
{
    (void) ev;
}

static wd_event_t fuzz_tick;

static void
fuzz_turn(void)
{
    if (!fuzz_tick.timer_set) {
        fuzz_tick.handler = fuzz_tick_handler;
        fuzz_tick.log = fuzz_cycle->log;
        fuzz_tick.cancelable = 1;
        wd_event_add_timer(&fuzz_tick, 0);
    }

    wd_process_events_and_timers(fuzz_cycle);
}

/* Nothing moved for a while: the next step towards the end. */
static void
fuzz_step(fuzz_run_t *run)
{
    run->quiet = 0;
    run->stage++;

    switch (run->stage) {
    case FUZZ_CLIENT_READS:
        if (!run->slow) {
            fuzz_step(run);
        }
        break;

    case FUZZ_UPSTREAM_CLOSED:
        fuzz_up_close_all(run);
        break;

    case FUZZ_CLIENT_SHUT:
        if (run->client != -1) {
            shutdown(run->client, SHUT_WR);
        }
        break;

    case FUZZ_CLIENT_CLOSED:
        fuzz_client_close(run);
        break;

    default:
        break;
    }
}

static void
fuzz_hang(fuzz_run_t *run, wd_uint_t turns)
{
    fprintf(stderr,
            "warden still holds %d connection(s) after %u turns (stage %u, "
            "client %s)\n",
            (int) (fuzz_free_n - fuzz_cycle->free_connection_n),
            (unsigned) turns, (unsigned) run->stage,
            run->client_eof ? "saw EOF" : "open");
    abort();
}

/* Runs the loop until warden holds no connection and the client is done;
 * aborts when warden hangs. */
static void
fuzz_run(fuzz_run_t *run)
{
    wd_uint_t turn;

    for (turn = 1; turn <= FUZZ_MAX_TURNS; turn++) {
        run->moved = 0;

        fuzz_client_write(run);
        fuzz_up_accept(run);
        fuzz_up_read(run);
        fuzz_up_write(run);

        if (run->early_close && turn == run->early_close) {
            fuzz_client_close(run);
        }

        fuzz_turn();

        fuzz_client_read(run);

        if (fuzz_cycle->free_connection_n != run->free_n) {
            run->free_n = fuzz_cycle->free_connection_n;
            run->moved++;
        }

        if ((run->client_eof || run->client_closed)
            && run->stage < FUZZ_UPSTREAM_CLOSED)
        {
            /* the client is done: the kept-alive ones can go */
            run->stage = FUZZ_UPSTREAM_CLOSED;
            fuzz_up_close_all(run);
        }

        if (run->free_n == fuzz_free_n
            && (run->client_eof || run->client_closed))
        {
            return;
        }

        if (run->moved) {
            run->quiet = 0;
            continue;
        }

        if (++run->quiet < FUZZ_STALL) {
            continue;
        }

        if (run->stage == FUZZ_CLIENT_CLOSED) {
            fuzz_hang(run, turn);
        }

        fuzz_step(run);
    }

    fuzz_hang(run, FUZZ_MAX_TURNS);
}

static int
fuzz_count_fds(void)
{
    int n;
    DIR *dir;

    dir = opendir("/proc/self/fd");

    if (dir == NULL) {
        return -1;
    }

    for (n = 0; readdir(dir) != NULL; n++) { /* void */ }

    closedir(dir);

    return n;
}

/* Runs one input; returns the bytes it left allocated (0 without ASan). */
static size_t
fuzz_one(const uint8_t *data, size_t size)
{
    int fds[2], size_buf, nfds;
    size_t len, before;
    fuzz_run_t run;
    wd_connection_t *c;
    struct sockaddr_un sa;

    before = __sanitizer_get_current_allocated_bytes
                 ? __sanitizer_get_current_allocated_bytes() : 0;
    nfds = fuzz_count_fds();

    wd_memzero(&run, sizeof(run));

    for (len = 0; len < FUZZ_MAX_UP; len++) {
        run.up[len].fd = -1;
    }

    run.piece = data[1];
    run.last_end = data[2] & 3;
    run.early_close = (data[0] & 0x40) ? 1 + 2 * ((data[2] >> 2) & 31) : 0;
    run.slow = (data[0] & 0x80) != 0;
    run.next = data + 3;
    run.end = data + size;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                   fds) == -1)
    {
        abort();
    }

    /* small: a client that reads late soon keeps warden waiting */
    size_buf = 4096;
    (void) setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &size_buf,
                      sizeof(size_buf));

    fuzz_request(&run, data[0], data[2]);
    run.client = fds[1];
    fuzz_client_write(&run);

    wd_memzero(&sa, sizeof(sa));
    sa.sun_family = AF_UNIX;

    c = wd_event_new_connection(fuzz_ls, fds[0], (struct sockaddr *) &sa,
                                sizeof(sa_family_t), fuzz_cycle->log);

    if (c == NULL) {
        abort();
    }

    fuzz_ls->handler(c);
    run.free_n = fuzz_cycle->free_connection_n;

    fuzz_run(&run);

    fuzz_up_close_all(&run);
    fuzz_client_close(&run);
    fuzz_up_accept(&run);       /* none should be left: closes any */
    free(run.req);

    /* run what closing the connections posted */
    fuzz_turn();

    if (fuzz_cycle->free_connection_n != fuzz_free_n
        || fuzz_count_fds() > nfds)
    {
        fprintf(stderr, "an input left %d connection(s), %d descriptor(s)\n",
                (int) (fuzz_free_n - fuzz_cycle->free_connection_n),
                fuzz_count_fds() - nfds);
        abort();
    }

    if (__sanitizer_get_current_allocated_bytes == NULL) {
        return 0;
    }

    len = __sanitizer_get_current_allocated_bytes();

    return len > before ? len - before : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t kept;

    if (size < 3) {
        return 0;
    }

    if (fuzz_cycle == NULL) {
        fuzz_init();
    }

    kept = fuzz_one(data, size);

    if (kept == 0) {
        return 0;
    }

    /* the first run of a path may set up what stays (a cache entry, the
     * keep-alive slots); the second must leave nothing */
    kept = fuzz_one(data, size);

    if (kept) {
        fprintf(stderr, "an input left %zu bytes allocated\n", kept);
        abort();
    }

    return 0;
}
