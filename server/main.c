/*
 * lakesync: one binary, subcommands. Each subcommand lives in the module that
 * owns it; this file only dispatches.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    LAKESYNC_COMMANDS /* each entry ends with a comma */
    {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: lakesync <command> [options]\n\ncommands:\n");
    for (size_t i = 0; commands[i].name; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'lakesync <command> --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("lakesync %s\n", LAKESYNC_VERSION);
        return 0;
    }
    for (size_t i = 0; commands[i].name; i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "lakesync: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
