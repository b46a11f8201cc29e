#include "testing.h"

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_TESTS 1024

static struct {
    const char *name;
    test_fn fn;
} tests[MAX_TESTS];
static size_t test_count;
static char tmpdir[4096];

void testing_register(const char *name, test_fn fn)
{
    if (test_count == MAX_TESTS) {
        fprintf(stderr, "too many tests\n");
        exit(2);
    }
    tests[test_count].name = name;
    tests[test_count].fn = fn;
    test_count++;
}

void testing_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

const char *testing_tmpdir(void)
{
    if (tmpdir[0])
        return tmpdir;
    char base[] = "/tmp/lakesync-test-XXXXXX";
    if (!mkdtemp(base))
        testing_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
    snprintf(tmpdir, sizeof tmpdir, "%s", base);
    return tmpdir;
}

char *testing_read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        testing_fail(__FILE__, __LINE__, "cannot open %s: %s", path, strerror(errno));
    size_t cap = 4096, len = 0;
    char *data = malloc(cap + 1);
    size_t n;
    while (data && (n = fread(data + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            data = realloc(data, cap + 1);
        }
    }
    fclose(f);
    if (!data)
        testing_fail(__FILE__, __LINE__, "out of memory reading %s", path);
    data[len] = '\0';
    if (len_out)
        *len_out = len;
    return data;
}

static void run_one(size_t i)
{
    tests[i].fn();
    if (tmpdir[0]) {
        nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        tmpdir[0] = '\0';
    }
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < test_count; i++)
            printf("%s\n", tests[i].name);
        return 0;
    }
    if (argc == 2) {
        for (size_t i = 0; i < test_count; i++) {
            if (strcmp(tests[i].name, argv[1]) == 0) {
                run_one(i);
                return 0;
            }
        }
        fprintf(stderr, "no test named %s\n", argv[1]);
        return 2;
    }
    for (size_t i = 0; i < test_count; i++) {
        printf("%s\n", tests[i].name);
        fflush(stdout);
        run_one(i);
    }
    printf("%zu passed, 0 failed\n", test_count);
    return 0;
}
