/* Where moetop finds what ships with it when the user names nothing: the
 * bundled model and the prompt sets, beside the executable in a source tree
 * (./moetop, assets/...) or under PREFIX/share/moetop after `make install`. */
#ifndef MT_PATHS_H
#define MT_PATHS_H

#include <stdbool.h>
#include <stddef.h>

#define MT_BUNDLED_MODEL "moetop-moe.gguf"

/* $MOETOP_MODEL, else the bundled model; false (out untouched) if none exists. */
bool mt_default_model(char *out, size_t cap);
/* The model to open: -m's value, else the default model; NULL after printing
 * a usage error naming what to do. buf holds the default's path. */
struct cli_args;
const char *mt_model_path(const struct cli_args *a, char *buf, size_t cap);
/* The bundled prompt sets directory; false if none exists. */
bool mt_default_prompts(char *out, size_t cap);
/* The built-in problem sets directory (assets/problems); false if none exists. */
bool mt_problems_dir(char *out, size_t cap);

#endif
