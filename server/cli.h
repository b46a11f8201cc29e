/*
 * The subcommands of the lakesync binary. Each is implemented by the module
 * that owns it and takes argv with argv[0] == the subcommand's name. It
 * returns the process exit status: 0 success, 1 failure, 2 bad usage.
 *
 * To add a command: declare it here and add one line to LAKESYNC_COMMANDS.
 */
#ifndef LAKESYNC_CLI_H
#define LAKESYNC_CLI_H

#include <stddef.h>

int cmd_storage(int argc, char **argv);
int cmd_parquet_cat(int argc, char **argv);
int cmd_worker(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_convert(int argc, char **argv);

#define LAKESYNC_COMMANDS \
    {"worker", cmd_worker, "run one worker of a job (started by the server)"}, \
    {"serve", cmd_serve, "run the control-plane server"}, \
    {"storage", cmd_storage, "put, get, list and delete objects (file://, s3://, oss://)"}, \
    {"parquet-cat", cmd_parquet_cat, "print a Parquet file's rows (NDJSON with --json) or schema"}, \
    {"convert", cmd_convert, "convert an NDJSON file to Parquet with a field mapping"},

#endif
