/*
 * Fuzzes a whole HTTP connection: the input is what a client sends on
 * one connection (request lines, headers, bodies, pipelined requests).
 * A real server cycle is built once from a configuration with static
 * files, "return", error pages, regex locations and the rewrite module
 * (rewrite, set, if at server and location level); each input is written
 * into one end of a socketpair whose other end warden serves, and the
 * event loop runs until warden closes the connection.  A hang (the
 * connection still open after the client sent EOF and enough loop turns)
 * aborts, as does any sanitizer report.
 */

#include "fuzz_cycle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_TURNS 2000

static wd_cycle_t *fuzz_cycle;
static wd_listening_t *fuzz_ls;

static const char fuzz_conf[] =
    "daemon off;\n"
    "master_process off;\n"
    "error_log /dev/null emerg;\n"
    "events { worker_connections 16; }\n"
    "http {\n"
    "    default_type text/plain;\n"
    "    access_log off;\n"
    "    client_body_buffer_size 64;\n"
    "    client_max_body_size 4k;\n"
    "    client_header_buffer_size 64;\n"
    "    large_client_header_buffers 2 1k;\n"
    "    lingering_time 1s;\n"
    "    lingering_timeout 100ms;\n"
    "    server {\n"
    "        listen unix:%s/sock;\n"
    "        server_name ~^(?<sub>[a-z]+)\\.example\\.com$ *.w.test x.*;\n"
    "        root %s/html;\n"
    "        error_page 404 /404.html;\n"
    "        error_page 500 = @fallback;\n"
    "        location /r { return 200 \"$uri|$args|$host|$sub|$arg_a\"; }\n"
    "        location ~ ^/re/(.*)$ { return 301 /to/$1; }\n"
    "        location = /exact { return 204; }\n"
    "        location ^~ /files/ { alias %s/html/; }\n"
    "        location /try { try_files $uri $uri/ /index.html =404; }\n"
    "        location @fallback { return 503; }\n"
    "        location /dir/ { index missing.html index.html; }\n"
    /* the rewrite module on hostile URIs, args and headers */
    "        rewrite ^/srv/([^/]*)/?(.*)$ /r/$2?s=$1;\n"
    "        if ($http_x_a ~ ^(?<xa>[a-z]+)-(.*)$) { set $xb $2; }\n"
    "        location /rw/ {\n"
    "            rewrite_log on;\n"
    "            rewrite ^/rw/q/(.*)/(.*)$ /r?a=$1&b=$2 last;\n"
    "            rewrite ^/rw/keep/(.*)$ /r/$1$1$1?k=$1&$xb break;\n"
    "            rewrite ^/rw/red/(.*)$ http://$host/$1$xa? permanent;\n"
    "            rewrite ^/rw/rel/(.*)$ /to/$1 redirect;\n"
    "            set $v \"$1-$arg_a-$xa\";\n"
    "            if ($arg_q ~* ^(.+)=(.*)$) { return 200 \"$1|$2|$v\"; }\n"
    "            if (!-e $request_filename) { set $v \"$v-missing\"; }\n"
    "            if ($args = \"\") { rewrite ^ /r?empty=1 last; }\n"
    "            return 200 \"$uri $args $v\";\n"
    "        }\n"
    "        location /loop { rewrite ^(.*)$ $1 last; }\n"
    "    }\n"
    "}\n";

/* A temporary prefix with the configuration and a few files. */
static char *
fuzz_prefix(void)
{
    char *dir, path[256], conf[4096];
    static char template[] = "/tmp/warden-fuzz-XXXXXX";

    dir = fuzz_tmp_prefix(template);

    snprintf(path, sizeof(path), "%s/html", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/html/dir", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/html/index.html", dir);
    fuzz_write(path, "<html>index</html>\n");
    snprintf(path, sizeof(path), "%s/html/dir/index.html", dir);
    fuzz_write(path, "dir index\n");
    snprintf(path, sizeof(path), "%s/html/404.html", dir);
    fuzz_write(path, "not found\n");
    snprintf(path, sizeof(path), "%s/html/a.txt", dir);
    fuzz_write(path, "0123456789abcdefghijklmnopqrstuvwxyz\n");

    snprintf(conf, sizeof(conf), fuzz_conf, dir, dir, dir);
    snprintf(path, sizeof(path), "%s/fuzz.conf", dir);
    fuzz_write(path, conf);

    return dir;
}

static void
fuzz_init(void)
{
    fuzz_cycle = fuzz_cycle_start(fuzz_prefix());
    fuzz_ls = fuzz_cycle->listening.elts;
}

/* Keeps the loop from sleeping: the nearest timer fires within 1 ms. */
static void
fuzz_tick_handler(wd_event_t *ev)
{
}

static wd_event_t fuzz_tick;

static void
fuzz_turn(void)
{
    if (!fuzz_tick.timer_set) {
        fuzz_tick.handler = fuzz_tick_handler;
        fuzz_tick.log = fuzz_cycle->log;
        fuzz_tick.cancelable = 1;
        wd_event_add_timer(&fuzz_tick, 1);
    }

    wd_process_events_and_timers(fuzz_cycle);
}

/* Reads and drops what warden sent; returns 0 at EOF. */
static int
fuzz_drain(int fd)
{
    char buf[65536];
    ssize_t n;

    for (;;) {
        n = read(fd, buf, sizeof(buf));

        if (n > 0) {
            continue;
        }

        return (n == 0) ? 0 : 1;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fds[2];
    size_t sent;
    ssize_t n;
    wd_uint_t turns, open_server;
    wd_connection_t *c;
    struct sockaddr_un sa;

    if (fuzz_cycle == NULL) {
        fuzz_init();
    }

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                   fds) == -1)
    {
        abort();
    }

    wd_memzero(&sa, sizeof(sa));
    sa.sun_family = AF_UNIX;

    c = wd_event_new_connection(fuzz_ls, fds[0], (struct sockaddr *) &sa,
                                sizeof(sa_family_t), fuzz_cycle->log);

    if (c == NULL) {
        abort();
    }

    fuzz_ls->handler(c);

    sent = 0;
    open_server = 1;

    for (turns = 0; turns < FUZZ_MAX_TURNS; turns++) {
        if (sent < size) {
            n = write(fds[1], data + sent, size - sent);

            if (n > 0) {
                sent += (size_t) n;
            }

            if (sent == size) {
                shutdown(fds[1], SHUT_WR);
            }

        } else if (size == 0 && turns == 0) {
            shutdown(fds[1], SHUT_WR);
        }

        fuzz_turn();

        open_server = fuzz_drain(fds[1]);

        if (!open_server && sent == size) {
            break;
        }
    }

    close(fds[1]);

    if (open_server) {
        /* the client is gone and warden still holds the connection */
        fprintf(stderr, "connection still open after %u turns\n",
                (unsigned) turns);
        abort();
    }

    /* run what closing the connection posted */
    fuzz_turn();

    return 0;
}
