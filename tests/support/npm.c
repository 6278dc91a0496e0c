#include "npm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "proc.h"

#define UNICODE_DATA "/usr/share/unicode/UnicodeData.txt"

static bool have_command(const char *name) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

bool npm_have_inputs(void) {
    bool node = CHECKF(have_command("node"), "node is not installed (Debian package nodejs: sh tools/deps.sh installs it)");
    bool npm = CHECKF(have_command("npm"), "npm is not installed (Debian package npm: sh tools/deps.sh installs it)");
    bool ucd = CHECKF(access(UNICODE_DATA, R_OK) == 0, "%s is missing (Debian package unicode-data: sh tools/deps.sh installs it)", UNICODE_DATA);
    return node && npm && ucd;
}

/* The line of text (at most cap - 1 bytes) holding needle, or "". */
static void line_with(const char *text, const char *needle, char *line, size_t cap) {
    const char *at = strstr(text, needle);
    line[0] = 0;
    if (!at) return;
    while (at > text && at[-1] != '\n') at--;
    size_t n = strcspn(at, "\n");
    snprintf(line, cap, "%.*s", (int)n, at);
}

/* npm's error codes for a registry it cannot reach (npm 9's "npm ERR! code X"
 * and npm 10's "npm error code X"). */
static bool registry_unreachable(const char *err) {
    static const char *const codes[] = { "ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT",
                                         "ENETUNREACH", "EHOSTUNREACH", "ERR_SOCKET_TIMEOUT" };
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        if (strstr(err, codes[i])) return true;
    return false;
}

int npm_ensure(const char *spec, const char *name, char *why, size_t cap) {
    char marker[256], cmd[512];
    snprintf(marker, sizeof marker, NPM_DIR "/node_modules/%s/package.json", name);
    if (access(marker, R_OK) == 0) return 1;
    snprintf(cmd, sizeof cmd, "mkdir -p " NPM_DIR " && npm install --prefix " NPM_DIR " --no-audit --no-fund --loglevel=error --fetch-retries=1 %s", spec);
    const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
    proc_result r = proc_run(argv, NULL);
    int ok = r.status == 0 && access(marker, R_OK) == 0 ? 1 : -1;
    if (ok < 0) {
        char line[240];
        line_with(r.err, "code", line, sizeof line);
        if (!line[0]) line_with(r.err, "rror", line, sizeof line);
        if (registry_unreachable(r.err)) ok = 0;
        snprintf(why, cap, "npm install %s: %s%s", spec, ok == 0 ? "the npm registry is unreachable: " : "",
                 line[0] ? line : "failed, saying nothing");
    }
    proc_free(&r);
    return ok;
}

void npm_first_line(const char *s, char *line, size_t cap) {
    snprintf(line, cap, "%.*s", (int)strcspn(s, "\n"), s);
}
