#include "paths.h"

#include "args.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The directory holding the running executable. */
static bool exe_dir(char *out, size_t cap) {
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) return false;
    path[n] = 0;
    char *slash = strrchr(path, '/');
    if (!slash) return false;
    *slash = 0;
    return (size_t)snprintf(out, cap, "%s", path) < cap;
}

static bool exists(const char *path, bool dir) {
    struct stat st;
    return stat(path, &st) == 0 && (dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
}

/* The first that exists of <exe>/assets/<in_tree> (also two folders up, for
 * builds kept under the repository such as build/san/moetop) and
 * <exe>/../share/moetop/<installed> (after make install). */
static bool find_shipped(const char *in_tree, const char *installed, bool dir, char *out, size_t cap) {
    char base[PATH_MAX], path[PATH_MAX + 64];
    if (!exe_dir(base, sizeof base)) return false;
    static const char *const up[] = { "", "/..", "/../.." };
    bool found = false;
    for (int i = 0; i < 3 && !found; i++) {
        snprintf(path, sizeof path, "%s%s/assets/%s", base, up[i], in_tree);
        found = exists(path, dir);
    }
    if (!found) snprintf(path, sizeof path, "%s/../share/moetop/%s", base, installed);
    if (!found && !exists(path, dir)) return false;
    return (size_t)snprintf(out, cap, "%s", path) < cap;
}

bool mt_default_model(char *out, size_t cap) {
    const char *env = getenv("MOETOP_MODEL");
    if (env && *env) return (size_t)snprintf(out, cap, "%s", env) < cap;
    return find_shipped("models/" MT_BUNDLED_MODEL, MT_BUNDLED_MODEL, false, out, cap);
}

bool mt_default_prompts(char *out, size_t cap) { return find_shipped("prompts", "prompts", true, out, cap); }

bool mt_problems_dir(char *out, size_t cap) { return find_shipped("problems", "problems", true, out, cap); }

const char *mt_model_path(const struct cli_args *a, char *buf, size_t cap) {
    const char *given = cli_get(a, "--model");
    if (given && !*given) {
        cli_usage_error(a->cmd, "-m: an empty path (give a GGUF file, or leave -m out for the bundled model)");
        return NULL;
    }
    if (given) return given;
    if (mt_default_model(buf, cap)) return buf;
    cli_usage_error(a->cmd, "-m: no model given and no bundled model found (assets/models/%s or PREFIX/share/moetop/%s)",
                    MT_BUNDLED_MODEL, MT_BUNDLED_MODEL);
    return NULL;
}
