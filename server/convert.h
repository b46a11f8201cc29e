/*
 * lakesync convert: NDJSON file -> Parquet file, with a job's field mapping.
 *
 *   lakesync convert --input events.ndjson --fields mapping.json --output out.parquet
 *                    [--compression zstd|snappy|gzip|none] [--compression-level N]
 *                    [--parse-level N] [--row-group-mib N] [--skip-bad-lines]
 *
 * mapping.json is a job's "fields" array (or an object holding one under
 * "fields"): [{"source":"device.os.test","name":"device_os_test",
 * "type":"string","required":false}, ...]. source is a jsonscan source path;
 * name the Parquet column name; type a lakesync field type; required is
 * optional (default false). Columns get field ids 1..N in mapping order.
 * --parse-level defaults to the depth of the deepest source path (at most 4).
 * The codec defaults to zstd at level 2 (cheaper than the writer's default
 * 3 for a bulk conversion; --compression-level 3 restores it).
 *
 * Each line of the input is one message; empty lines are skipped. Lines the
 * scanner rejects are counted and the first few reported on stderr with
 * their line numbers; any makes the command fail (exit 1) unless
 * --skip-bad-lines is given. The output is written under a temporary name in
 * the same directory and renamed into place only on success, so a cut-short
 * file never appears at the output path.
 *
 * The command itself is declared in cli.h (cmd_convert).
 */
#ifndef LAKESYNC_CONVERT_H
#define LAKESYNC_CONVERT_H

#include "cli.h"

#endif
