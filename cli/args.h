/* Command-line options: each command declares a table of options; the parser
 * fills values in, and every mistake (unknown flag, missing value, stray
 * argument) becomes one line "moetop: <what>: <why> (usage: ...)" and exit 2. */
#ifndef MT_ARGS_H
#define MT_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#define CLI_MAX_OPTS 48
#define CLI_MAX_REPEAT 64
#define CLI_MAX_POSITIONAL 1024

/* How every file a command writes is written (engine/outfile.h), for --help. */
#define CLI_OUTPUT_RULES                                                                          \
    "replaced only once the whole new one is written (its mode kept; after a failure the\n"       \
    "old one stays as it was); a symbolic link stays a link and where it leads is written;\n"     \
    "a FIFO, a device or a socket is written through."
#define CLI_OUTPUT_DETAILS "Output files: - is standard output; an existing file is\n" CLI_OUTPUT_RULES

struct cli_args;

typedef struct cli_opt {
    const char *name;   /* "--model" */
    char short_name;    /* 'm', or 0 */
    const char *value;  /* placeholder shown in help ("FILE"), or NULL for a switch */
    const char *help;
    bool repeat;        /* may be given more than once (each value is used); else a second value is refused */
} cli_opt;

typedef struct cli_command {
    const char *name;       /* "info" */
    const char *usage;      /* "moetop info -m FILE.gguf [--json]" */
    const char *summary;    /* one line for `moetop --help` */
    const char *details;    /* paragraphs after the options, or NULL */
    const char *const *definitions; /* lines printed last (metric definitions), NULL-terminated, or NULL */
    const char *definitions_title;  /* their heading (default "definitions") */
    int max_positional;     /* arguments without a flag allowed */
    const char *positional_name;
    cli_opt opts[CLI_MAX_OPTS]; /* ends at an entry with name NULL */
    int (*run)(const struct cli_command *cmd, struct cli_args *args);
} cli_command;

typedef struct cli_args {
    const cli_command *cmd;
    /* per option: every value given, in order (switches store "") */
    const char *values[CLI_MAX_OPTS][CLI_MAX_REPEAT];
    int count[CLI_MAX_OPTS];
    const char *positional[CLI_MAX_POSITIONAL];
    int n_positional;
} cli_args;

enum { CLI_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2, CLI_HELP_SHOWN = -1 };

/* Parses argv[0..argc) (after the command name). Returns CLI_OK,
 * CLI_EXIT_USAGE (message printed) or CLI_HELP_SHOWN (help printed). */
int cli_parse(const cli_command *cmd, int argc, char **argv, cli_args *out);
void cli_print_help(const cli_command *cmd);

/* The value of an option (the last of a repeatable one), or NULL when absent. */
const char *cli_get(const cli_args *a, const char *name);
bool cli_has(const cli_args *a, const char *name);

/* Numeric values with range checks: on error print "moetop: --x: ..." and return false. */
bool cli_get_u32(const cli_args *a, const char *name, uint32_t lo, uint32_t hi, uint32_t *out);
bool cli_get_u64(const cli_args *a, const char *name, uint64_t *out);
bool cli_get_float(const cli_args *a, const char *name, float *out);

/* Prints "moetop: <msg>" on stderr; returns CLI_EXIT_USAGE or the given code. */
int cli_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, with " (usage: ...)" appended. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
