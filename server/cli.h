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

#define LAKESYNC_COMMANDS \
    {"storage", cmd_storage, "put, get, list and delete objects (file://, s3://, oss://)"},

#endif
