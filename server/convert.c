#include "convert.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "column_batch.h"
#include "jsonscan.h"
#include "parquet_writer.h"
#include "schema_type.h"
#include "util/error.h"
#include "util/mapped_file.h"

/* Input is read in blocks this large; one line may grow the buffer up to the
 * scanner's message cap plus one block. */
#define READ_BLOCK_BYTES ((size_t)8 << 20)
/* Rows scanned before they go to the writer. 8192 rows of bench/convert.sh's
 * data are about 2 MiB of column buffers, which the writer reads back while
 * they are still in the cache; 65536 rows (about 17 MiB) cost 2-4% more CPU
 * time and 8 MiB more peak memory (more pages first touched). A multiple of
 * the writer's 2048-row slices, so files are the same either way. */
#define BATCH_ROWS 8192
#define BATCH_MAX_BYTES ((size_t)64 << 20)
#define REPORTED_ERRORS_MAX 10
/* convert's zstd level when none is given. On bench/convert.sh's reference
 * data level 2 costs about 8% less CPU than the writer's default 3 for a
 * file 3% larger (still within 2% of DuckDB's at its default); a bulk
 * conversion is CPU-bound, so it takes the cheaper level. */
#define CONVERT_ZSTD_DEFAULT_LEVEL 2

typedef struct convert_args {
    const char *input, *fields, *output;
    ls_parquet_codec codec;
    int compression_level;
    int parse_level; /* -1: derived from the mapping */
    uint64_t row_group_bytes;
    bool skip_bad_lines;
} convert_args;

typedef struct mapping {
    size_t count;
    ls_jsonscan_field *fields;
    ls_parquet_column_spec *columns;
    ls_type *types;
    json_t *doc; /* owns the strings the arrays point into */
} mapping;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lakesync convert --input FILE.ndjson --fields MAPPING.json --output OUT.parquet\n"
            "                        [--compression zstd|snappy|gzip|none] [--compression-level N]\n"
            "                        (default zstd, level 2)\n"
            "                        [--parse-level 0-4] [--row-group-mib N] [--skip-bad-lines]\n"
            "\n"
            "MAPPING.json is a job's fields array: [{\"source\":\"device.os.test\",\n"
            "\"name\":\"device_os_test\",\"type\":\"string\"}, ...] (\"required\": true optional).\n");
}

static int parse_int_arg(const char *text, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* Returns 0, or 2 after printing a usage error. */
static int parse_args(int argc, char **argv, convert_args *a)
{
    memset(a, 0, sizeof *a);
    a->codec = LS_PARQUET_CODEC_ZSTD;
    a->parse_level = -1;
    a->row_group_bytes = (uint64_t)128 << 20;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(opt, "--skip-bad-lines") == 0) {
            a->skip_bad_lines = true;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "lakesync convert: %s needs a value\n", opt);
            return 2;
        }
        const char *val = argv[++i];
        long n;
        ls_error err;
        ls_error_clear(&err);
        if (strcmp(opt, "--input") == 0) {
            a->input = val;
        } else if (strcmp(opt, "--fields") == 0) {
            a->fields = val;
        } else if (strcmp(opt, "--output") == 0) {
            a->output = val;
        } else if (strcmp(opt, "--compression") == 0) {
            if (ls_parquet_codec_parse(val, &a->codec, &err)) {
                fprintf(stderr, "lakesync convert: %s\n", err.message);
                return 2;
            }
        } else if (strcmp(opt, "--compression-level") == 0 && !parse_int_arg(val, 1, 22, &n)) {
            a->compression_level = (int)n;
        } else if (strcmp(opt, "--parse-level") == 0 &&
                   !parse_int_arg(val, 0, LS_JSONSCAN_MAX_LEVEL, &n)) {
            a->parse_level = (int)n;
        } else if (strcmp(opt, "--row-group-mib") == 0 && !parse_int_arg(val, 1, 4096, &n)) {
            a->row_group_bytes = (uint64_t)n << 20;
        } else {
            fprintf(stderr, "lakesync convert: bad option or value: %s %s\n", opt, val);
            return 2;
        }
    }
    if (!a->input || !a->fields || !a->output) {
        usage(stderr);
        return 2;
    }
    return 0;
}

/* The depth of a source path: unescaped dots + 1 ("a\.b" has depth 1). */
static int path_depth(const char *path)
{
    int depth = 1;
    for (const char *p = path; *p; p++) {
        if (*p == '\\' && p[1])
            p++;
        else if (*p == '.')
            depth++;
    }
    return depth;
}

static void mapping_cleanup(mapping *m)
{
    free(m->fields);
    free(m->columns);
    free(m->types);
    json_decref(m->doc);
    memset(m, 0, sizeof *m);
}

/* Reads the mapping file; returns 0 or prints why not and returns 1. */
static int mapping_load(const char *path, mapping *m, int *deepest)
{
    memset(m, 0, sizeof *m);
    json_error_t jerr;
    m->doc = json_load_file(path, 0, &jerr);
    if (!m->doc) {
        fprintf(stderr, "lakesync convert: %s:%d: %s\n", path, jerr.line, jerr.text);
        return 1;
    }
    json_t *list = json_is_object(m->doc) ? json_object_get(m->doc, "fields") : m->doc;
    size_t n = json_array_size(list);
    if (!json_is_array(list) || n == 0) {
        fprintf(stderr, "lakesync convert: %s: expected a non-empty array of fields\n", path);
        return 1;
    }
    m->count = n;
    m->fields = calloc(n, sizeof *m->fields);
    m->columns = calloc(n, sizeof *m->columns);
    m->types = calloc(n, sizeof *m->types);
    if (!m->fields || !m->columns || !m->types) {
        fprintf(stderr, "lakesync convert: out of memory\n");
        return 1;
    }
    *deepest = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *f = json_array_get(list, i);
        const char *source = json_string_value(json_object_get(f, "source"));
        const char *name = json_string_value(json_object_get(f, "name"));
        const char *type = json_string_value(json_object_get(f, "type"));
        json_t *required = json_object_get(f, "required");
        if (!source || !name || !type || (required && !json_is_boolean(required))) {
            fprintf(stderr,
                    "lakesync convert: %s: field %zu needs string source, name and type "
                    "(and a boolean required, if any)\n",
                    path, i);
            return 1;
        }
        ls_error err;
        ls_error_clear(&err);
        if (ls_type_parse(type, &m->types[i], &err)) {
            fprintf(stderr, "lakesync convert: %s: field '%s': %s\n", path, name, err.message);
            return 1;
        }
        bool req = json_is_true(required);
        m->fields[i] = (ls_jsonscan_field){source, i, m->types[i], req};
        m->columns[i] = (ls_parquet_column_spec){name, (int32_t)(i + 1), m->types[i], req};
        if (strncmp(source, "__", 2) != 0 && path_depth(source) > *deepest)
            *deepest = path_depth(source);
    }
    return 0;
}

/* ---- output: a file under a temporary name ---- */

static ls_code file_write(void *ctx, const void *data, size_t len, ls_error *err)
{
    if (fwrite(data, 1, len, (FILE *)ctx) != len)
        return ls_error_set(err, LS_ERR_IO, "writing the output failed: %s", strerror(errno));
    return LS_OK;
}

typedef struct converter {
    const convert_args *args;
    ls_jsonscan_plan *plan;
    ls_column_batch *batch;
    ls_parquet_writer *writer;
    uint64_t rows, bad_lines, line_no;
    bool line_too_long; /* discarding the rest of an over-long line */
} converter;

static int flush_batch(converter *c)
{
    if (c->batch->row_count == 0)
        return 0;
    ls_error err;
    ls_error_clear(&err);
    if (ls_parquet_writer_write_batch(c->writer, c->batch, &err)) {
        fprintf(stderr, "lakesync convert: %s%s%s\n", err.field[0] ? err.field : "",
                err.field[0] ? ": " : "", err.message);
        return -1;
    }
    c->rows += c->batch->row_count;
    ls_column_batch_reset(c->batch);
    return 0;
}

static void report_bad_line(converter *c, const char *kind, const char *field, size_t offset,
                            const char *message)
{
    c->bad_lines++;
    if (c->bad_lines <= REPORTED_ERRORS_MAX)
        fprintf(stderr, "lakesync convert: %s:%" PRIu64 ": %s%s%s at byte %zu: %s\n",
                c->args->input, c->line_no, kind, field[0] ? " in " : "", field, offset,
                message);
    else if (c->bad_lines == REPORTED_ERRORS_MAX + 1)
        fprintf(stderr, "lakesync convert: (further bad lines are counted, not shown)\n");
}

/* Scans one line into the batch. Returns 0, or -1 on a fatal error. */
static int convert_line(converter *c, const uint8_t *line, size_t len)
{
    c->line_no++;
    if (len && line[len - 1] == '\r')
        len--;
    if (len == 0)
        return 0;
    for (;;) {
        ls_jsonscan_error record;
        ls_error err;
        ls_error_clear(&err);
        ls_code rc = ls_jsonscan_row(c->plan, line, len, NULL, c->batch, &record, &err);
        if (rc == LS_OK)
            return c->batch->row_count >= BATCH_ROWS ? flush_batch(c) : 0;
        if (rc == LS_ERR_INVALID) {
            report_bad_line(c, ls_jsonscan_error_kind_name(record.kind), record.field,
                            record.offset, record.message);
            return 0;
        }
        if (rc == LS_ERR_TOO_LARGE && c->batch->row_count > 0) {
            if (flush_batch(c))
                return -1;
            continue; /* the batch was full: retry the line in an empty one */
        }
        fprintf(stderr, "lakesync convert: %s:%" PRIu64 ": %s\n", c->args->input, c->line_no,
                err.message);
        return -1;
    }
}

/* Splits the input into lines with large reads. Returns 0 or -1. */
static int convert_stream(converter *c, FILE *in)
{
    size_t cap = 2 * READ_BLOCK_BYTES, len = 0;
    const size_t cap_max = LS_JSONSCAN_DEFAULT_MAX_MESSAGE_BYTES + 2 * READ_BLOCK_BYTES;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        fprintf(stderr, "lakesync convert: out of memory\n");
        return -1;
    }
    int rc = 0;
    bool eof = false;
    while (!eof && rc == 0) {
        size_t n = fread(buf + len, 1, cap - len, in);
        if (n == 0) {
            if (ferror(in)) {
                fprintf(stderr, "lakesync convert: reading %s: %s\n", c->args->input,
                        strerror(errno));
                rc = -1;
                break;
            }
            eof = true;
        }
        len += n;
        size_t start = 0;
        const uint8_t *nl;
        while (rc == 0 && (nl = memchr(buf + start, '\n', len - start)) != NULL) {
            size_t end = (size_t)(nl - buf);
            if (c->line_too_long)
                c->line_too_long = false; /* the tail of a skipped line */
            else
                rc = convert_line(c, buf + start, end - start);
            start = end + 1;
        }
        memmove(buf, buf + start, len - start);
        len -= start;
        if (rc == 0 && !eof && len == cap) {
            if (cap < cap_max) {
                uint8_t *bigger = realloc(buf, cap * 2);
                if (!bigger) {
                    fprintf(stderr, "lakesync convert: out of memory\n");
                    rc = -1;
                    break;
                }
                buf = bigger;
                cap *= 2;
            } else if (!c->line_too_long) {
                c->line_no++;
                report_bad_line(c, "too_large", "", 0, "line longer than the message cap");
                c->line_too_long = true;
                len = 0;
            } else {
                len = 0;
            }
        }
    }
    if (rc == 0 && len > 0 && !c->line_too_long)
        rc = convert_line(c, buf, len);
    free(buf);
    return rc;
}

/* One line of a mapped file (see convert_mapped). */
static int convert_mapped_line(void *ctx, const uint8_t *line, size_t len)
{
    converter *c = ctx;
    /* The same cut as convert_stream's: a line must fit its buffer's cap. */
    const size_t line_cap = LS_JSONSCAN_DEFAULT_MAX_MESSAGE_BYTES + 2 * READ_BLOCK_BYTES;
    if (len >= line_cap) {
        c->line_no++;
        report_bad_line(c, "too_large", "", 0, "line longer than the message cap");
        return 0;
    }
    return convert_line(c, line, len);
}

/* A regular file is scanned through a read-only mapping instead: no copy
 * into a read buffer (on bench/convert.sh's input that copy was about 5% of
 * convert's CPU time, all of it system time). A file truncated during the
 * conversion is an error, not a SIGBUS (see util/mapped_file.h).
 * Returns 0, -1 on a fatal error, or 1 when the file could not be mapped
 * (the caller then reads it with convert_stream). */
static int convert_mapped(converter *c, int fd, size_t size)
{
    if (size == 0)
        return 0;
    ls_mapped_file file;
    ls_error err;
    ls_error_clear(&err);
    if (ls_mapped_file_map(&file, fd, size, &err))
        return 1;
    int rc = 0;
    if (ls_mapped_file_lines(&file, convert_mapped_line, c, &rc, &err)) {
        fprintf(stderr, "lakesync convert: %s: %s\n", c->args->input, err.message);
        rc = -1;
    }
    ls_mapped_file_unmap(&file);
    return rc;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Opens a fresh temporary file next to the output. */
static FILE *open_temp(const char *output, char *temp, size_t temp_size)
{
    int n = snprintf(temp, temp_size, "%s.tmp-%ld", output, (long)getpid());
    if (n < 0 || (size_t)n >= temp_size) {
        fprintf(stderr, "lakesync convert: output path too long\n");
        return NULL;
    }
    int fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "lakesync convert: cannot create %s: %s\n", temp, strerror(errno));
        return NULL;
    }
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(temp);
        return NULL;
    }
    setvbuf(f, NULL, _IOFBF, (size_t)4 << 20);
    return f;
}

/* Closes the Parquet file and moves it into place. Returns 0 or -1. */
static int finish_output(converter *c, FILE *out, const char *temp, ls_parquet_file_stats *stats)
{
    ls_error err;
    ls_error_clear(&err);
    if (flush_batch(c))
        return -1;
    if (ls_parquet_writer_close(c->writer, stats, &err)) {
        fprintf(stderr, "lakesync convert: %s\n", err.message);
        return -1;
    }
    if (fflush(out) != 0 || fsync(fileno(out)) != 0) {
        fprintf(stderr, "lakesync convert: writing %s: %s\n", temp, strerror(errno));
        return -1;
    }
    if (rename(temp, c->args->output) != 0) {
        fprintf(stderr, "lakesync convert: cannot rename %s to %s: %s\n", temp, c->args->output,
                strerror(errno));
        return -1;
    }
    return 0;
}

static int convert_setup(converter *c, const mapping *m, int level)
{
    ls_error err;
    ls_error_clear(&err);
    ls_jsonscan_options options = {.parse_level = level};
    if (ls_jsonscan_plan_new(&options, m->fields, m->count, &c->plan, &err)) {
        fprintf(stderr, "lakesync convert: %s%s%s\n", err.field[0] ? err.field : "",
                err.field[0] ? ": " : "", err.message);
        return -1;
    }
    c->batch = ls_column_batch_new(m->types, m->count, BATCH_MAX_BYTES);
    if (!c->batch) {
        fprintf(stderr, "lakesync convert: out of memory\n");
        return -1;
    }
    return 0;
}

int cmd_convert(int argc, char **argv)
{
    convert_args args;
    int status = parse_args(argc, argv, &args);
    if (status)
        return status;
    mapping m;
    int deepest = 0;
    converter c = {.args = &args};
    FILE *in = NULL, *out = NULL;
    char temp[4096] = "";
    ls_parquet_file_stats stats = {0};
    double start = now_seconds();
    status = 1;
    if (mapping_load(args.fields, &m, &deepest))
        goto out;
    int level = args.parse_level >= 0 ? args.parse_level
                                      : (deepest > LS_JSONSCAN_MAX_LEVEL ? LS_JSONSCAN_MAX_LEVEL
                                                                         : deepest);
    if (convert_setup(&c, &m, level))
        goto out;
    in = fopen(args.input, "rb");
    if (!in) {
        fprintf(stderr, "lakesync convert: cannot open %s: %s\n", args.input, strerror(errno));
        goto out;
    }
    out = open_temp(args.output, temp, sizeof temp);
    if (!out)
        goto out;
    ls_parquet_options options;
    ls_parquet_options_init(&options);
    options.codec = args.codec;
    options.compression_level = args.compression_level;
    if (!options.compression_level && args.codec == LS_PARQUET_CODEC_ZSTD)
        options.compression_level = CONVERT_ZSTD_DEFAULT_LEVEL;
    options.row_group_bytes = args.row_group_bytes;
    ls_sink sink = {.write = file_write, .ctx = out};
    ls_error err;
    ls_error_clear(&err);
    c.writer = ls_parquet_writer_new(m.columns, m.count, &options, &sink, &err);
    if (!c.writer) {
        fprintf(stderr, "lakesync convert: %s\n", err.message);
        goto out;
    }
    struct stat st;
    int scanned = 1;
    if (fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size <= SIZE_MAX)
        scanned = convert_mapped(&c, fileno(in), (size_t)st.st_size);
    if (scanned == 1)
        scanned = convert_stream(&c, in);
    if (scanned)
        goto out;
    if (c.bad_lines && !args.skip_bad_lines) {
        fprintf(stderr,
                "lakesync convert: %" PRIu64 " bad line(s); nothing written "
                "(--skip-bad-lines converts the rest)\n",
                c.bad_lines);
        goto out;
    }
    if (finish_output(&c, out, temp, &stats))
        goto out;
    temp[0] = '\0'; /* renamed: nothing to remove */
    double elapsed = now_seconds() - start;
    fprintf(stderr,
            "lakesync convert: %" PRIu64 " rows, %" PRIu64 " bad lines skipped, %" PRIu64
            " bytes in %.2f s (%.0f rows/s) -> %s\n",
            c.rows, c.bad_lines, stats.file_size_bytes, elapsed,
            elapsed > 0 ? (double)c.rows / elapsed : 0.0, args.output);
    status = 0;
out:
    if (out)
        fclose(out);
    if (temp[0])
        unlink(temp);
    if (in)
        fclose(in);
    ls_parquet_file_stats_cleanup(&stats);
    ls_parquet_writer_free(c.writer);
    ls_column_batch_free(c.batch);
    ls_jsonscan_plan_free(c.plan);
    if (m.doc || m.fields)
        mapping_cleanup(&m);
    return status;
}
