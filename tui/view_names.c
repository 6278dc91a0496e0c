/* The views' names, as the config's [explorer] view and the status line
 * spell them (apart from app.c so the config parser stands alone). */
#include "app.h"

const char *const mt_view_names[MT_VIEW_COUNT] = { "dashboard", "heatmap", "token", "sweep", "experts", "ablate", "compare", "generate", "text", "help" };
