/*
 * Replays fuzz inputs through a harness without libFuzzer: "make
 * fuzz-replay" links each fuzz/<name>.c with this main and passes it the
 * files of fuzz/corpus/<name>/, so a past crash stays fixed.  A minimal
 * driver: each file is read whole and given to LLVMFuzzerTestOneInput()
 * once; a failing input aborts (the harness's own assertions or a
 * sanitizer report).
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static int
replay_file(const char *name)
{
    FILE *f;
    long len;
    uint8_t *data;
    size_t n;

    f = fopen(name, "rb");

    if (f == NULL) {
        perror(name);
        return -1;
    }

    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0)
    {
        perror(name);
        fclose(f);
        return -1;
    }

    /* an exact-size copy, so reads past the end are caught by ASan */
    data = malloc(len ? (size_t) len : 1);

    if (data == NULL) {
        fclose(f);
        return -1;
    }

    n = fread(data, 1, (size_t) len, f);
    fclose(f);

    if (n != (size_t) len) {
        fprintf(stderr, "%s: short read\n", name);
        free(data);
        return -1;
    }

    LLVMFuzzerTestOneInput(data, n);
    free(data);
    return 0;
}


int
main(int argc, char **argv)
{
    int i, failed;

    failed = 0;

    for (i = 1; i < argc; i++) {
        if (replay_file(argv[i]) != 0) {
            failed++;
        }
    }

    printf("replayed %d inputs, %d unreadable\n", argc - 1 - failed, failed);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
