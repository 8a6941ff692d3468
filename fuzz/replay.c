/*
 * Runs a libFuzzer harness over saved inputs, without libFuzzer: each
 * argument is a file, or a directory whose regular files (one level, in
 * name order) are each an input.  "make fuzz-replay" links this with
 * every fuzz/<name>.c and replays fuzz/corpus/<name>/, so an input that
 * once crashed keeps being run by the test suite.
 *
 * Each input's name goes to stderr before it runs, so a crash names it.
 * Exits 1 when an input cannot be read; a harness bug crashes or aborts.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Optional in a harness: weak, so it is NULL when the harness has none. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Reads the whole file into an allocation of exactly its size, so that a
 * read past the end of the input is caught by AddressSanitizer. */
static int
read_input(const char *path, uint8_t **out, size_t *len)
{
    int fd;
    struct stat st;
    uint8_t *buf;
    size_t have;
    ssize_t n;

    fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd == -1 || fstat(fd, &st) == -1) {
        goto failed;
    }

    buf = malloc(st.st_size ? (size_t) st.st_size : 1);

    if (buf == NULL) {
        goto failed;
    }

    for (have = 0; have < (size_t) st.st_size; have += (size_t) n) {
        n = read(fd, buf + have, (size_t) st.st_size - have);

        if (n == -1 && errno == EINTR) {
            n = 0;
            continue;
        }

        if (n <= 0) {
            free(buf);
            goto failed;
        }
    }

    close(fd);
    *out = buf;
    *len = have;

    return 0;

failed:

    fprintf(stderr, "replay: cannot read \"%s\": %s\n", path,
            strerror(errno ? errno : EIO));

    if (fd != -1) {
        close(fd);
    }

    return -1;
}

static int
run_file(const char *path)
{
    uint8_t *data;
    size_t len;

    if (read_input(path, &data, &len) != 0) {
        return -1;
    }

    fprintf(stderr, "%s\n", path);
    (void) LLVMFuzzerTestOneInput(data, len);
    free(data);

    return 0;
}

static int
skip_entry(const struct dirent *de)
{
    return de->d_name[0] != '.';
}

static int
run_dir(const char *dir)
{
    struct dirent **list;
    struct stat st;
    char path[4096];
    int i, n, rc;

    n = scandir(dir, &list, skip_entry, alphasort);

    if (n == -1) {
        fprintf(stderr, "replay: cannot read directory \"%s\": %s\n", dir,
                strerror(errno));
        return -1;
    }

    rc = 0;

    for (i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);

        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)
            && run_file(path) != 0)
        {
            rc = -1;
        }

        free(list[i]);
    }

    free(list);

    return rc;
}

int
main(int argc, char **argv)
{
    struct stat st;
    int i, rc;

    if (LLVMFuzzerInitialize) {
        (void) LLVMFuzzerInitialize(&argc, &argv);
    }

    rc = 0;

    for (i = 1; i < argc; i++) {
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            rc |= run_dir(argv[i]);

        } else {
            rc |= run_file(argv[i]);
        }
    }

    return rc ? 1 : 0;
}
