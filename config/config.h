/* The configuration file (config/moetop.ini documents every key), read with
 * inih, its lines given by engine/lines.h (LF, CRLF or CR line ends, a
 * byte-order mark dropped), so line numbers are right in any of them. Every
 * key is checked: an unknown section, key or value, a NUL byte or a line
 * longer than inih takes (198 bytes in Debian's build) is one error naming the file and the line. */
#ifndef MT_CONFIG_H
#define MT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/error.h"
#include "tui/color_map.h"

typedef enum { MT_ASCII_AUTO, MT_ASCII_YES, MT_ASCII_NO } mt_ascii_mode;

typedef struct mt_config {
    mt_ascii_mode ascii;
    mt_colors_mode colors;
    int view;             /* MT_VIEW_* */
    int generate_tokens;
    char export_format[8]; /* what X writes: "svg", "ansi" or "txt" */
    char export_dir[1024];  /* where X writes it */
    int ramp, experts;      /* the theme: mt_ramp_kind, mt_experts_kind */
    double temperature, top_p; /* n's sampling; temperature 0: greedy */
    unsigned long long seed;
    char backend[8];       /* [engine] backend: "cpu" or "vulkan" (--backend overrides) */
    char device[12];       /* [engine] device: a Vulkan device index, "" for the best (--device overrides) */
    int threads;           /* [engine] threads: CPU threads, 0 for every core (MOETOP_THREADS and --threads override) */
} mt_config;

void mt_config_defaults(mt_config *c);
/* Reads path over the current values; false with "<path>:<line>: <why>". */
bool mt_config_load(const char *path, mt_config *c, mt_err *err);
/* The same from text in memory (name is for messages). */
bool mt_config_parse(const char *text, size_t len, const char *name, mt_config *c, mt_err *err);
/* The user's configuration file if it exists ($XDG_CONFIG_HOME or ~/.config), else NULL. */
const char *mt_config_default_path(char *buf, size_t cap);

#endif
