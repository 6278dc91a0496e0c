#include "script.h"

#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine/lines.h"
#include "engine/utf8.h"

#define NAMED_ENTRY(name, key) { name, key },
static const struct { const char *name; int key; } named[] = { MT_SCRIPT_NAMED_KEYS(NAMED_ENTRY) };

#define NAME_IN_LIST(name, key) name " "
const char *const mt_script_help[] = {
    "a key name     " MT_SCRIPT_NAMED_KEYS(NAME_IN_LIST) "F1..F12 C-a..C-z,",
    "               or any single character (j, K, ?, +); names are case-sensitive",
    "type TEXT      each character of TEXT as a key (after e: typed into the prompt line)",
    "paste TEXT     TEXT pasted at once, as a terminal's bracketed paste: one edit of the prompt line",
    "wait MS        advance the recording's clock by MS milliseconds (0..600000); work never needs it:",
    "               pending work (a completion) finishes before each step",
    "click X Y      a left click on the cell at column X, row Y (from 0, the top left)",
    "frame FILE     write the frame now (.txt, .ansi or .svg, by the extension)",
    "# ...          a comment; blank lines are skipped; a step's line is at most 4095 bytes",
    "(README.md, \"Key scripts\", has the same list with an example: examples/keys.txt)",
    NULL,
};

int mt_key_from_name(const char *name) {
    for (size_t i = 0; i < sizeof named / sizeof *named; i++)
        if (strcmp(named[i].name, name) == 0) return named[i].key;
    if (name[0] == 'F' && name[1] >= '1' && name[1] <= '9') {
        int n = atoi(name + 1);
        if (n >= 1 && n <= 12 && (n < 10 ? name[2] == 0 : name[3] == 0)) return MT_KEY_F1 + n - 1;
    }
    if (name[0] == 'C' && name[1] == '-' && name[2] >= 'a' && name[2] <= 'z' && name[3] == 0) return MT_KEY_CTRL_A + name[2] - 'a';
    /* a single character, ASCII or not */
    uint32_t cp;
    size_t len = strlen(name);
    if (len && mt_utf8_next((const uint8_t *)name, len, &cp) == len && cp != MT_UTF8_INVALID && cp > ' ') return (int)cp;
    return -1;
}

static bool add(mt_script *s, mt_step step) {
    mt_step *p = realloc(s->steps, (s->n + 1) * sizeof *p);
    if (!p) return false;
    s->steps = p;
    s->steps[s->n++] = step;
    return true;
}

bool mt_script_parse(const char *text, size_t len, const char *name, mt_script *out, mt_err *err) {
    memset(out, 0, sizeof *out);
    mt_lines lines;
    mt_lines_init(&lines, text, len);
    for (mt_line l; mt_lines_next(&lines, &l);) {
        int line_no = l.number > INT_MAX ? INT_MAX : (int)l.number;
        char line[4096];
        if (l.nul) {
            mt_err_set(err, "%s:%d: a NUL byte in the line", name, line_no);
            goto fail;
        }
        if (l.len >= sizeof line) {
            mt_err_set(err, "%s:%d: the line is longer than %zu bytes", name, line_no, sizeof line - 1);
            goto fail;
        }
        size_t n = l.len;
        memcpy(line, l.text, n);
        line[n] = 0;
        /* trailing spaces and tabs are dropped, except from `type TEXT`: its text is every byte */
        size_t lead = strspn(line, " \t");
        if (strncmp(line + lead, "type ", 5) != 0 && strncmp(line + lead, "paste ", 6) != 0)
            while (n && (line[n - 1] == ' ' || line[n - 1] == '\t')) line[--n] = 0;
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        if (!*s || *s == '#') continue;
        mt_step step = { .line = line_no };
        if (strncmp(s, "type ", 5) == 0) {
            step.kind = MT_STEP_TYPE;
            step.text = strdup(s + 5);
        } else if (strncmp(s, "paste ", 6) == 0) {
            step.kind = MT_STEP_PASTE;
            step.text = strdup(s + 6);
        } else if (strncmp(s, "frame ", 6) == 0) {
            step.kind = MT_STEP_FRAME;
            step.text = strdup(s + 6);
        } else if (strncmp(s, "wait ", 5) == 0) {
            char *end;
            long ms = strtol(s + 5, &end, 10);
            if (*end || end == s + 5 || ms < 0 || ms > 600000) {
                mt_err_set(err, "%s:%d: 'wait %.40s' needs milliseconds in 0..600000", name, line_no, s + 5);
                goto fail;
            }
            step.kind = MT_STEP_WAIT;
            step.ms = (int)ms;
        } else if (strncmp(s, "click ", 6) == 0) {
            /* strtol, not sscanf: an out-of-range %d is undefined behaviour */
            char *end;
            long x = strtol(s + 6, &end, 10), y = -1;
            if (end != s + 6 && *end == ' ') {
                char *start = end;
                y = strtol(start, &end, 10);
                if (end == start) y = -1;
            }
            if (y < 0 || *end || x < 0 || x > 9999 || y > 9999 || s[6] == ' ' || s[6] == '-' || s[6] == '+') {
                mt_err_set(err, "%s:%d: 'click %.40s' needs a column and a row (from 0)", name, line_no, s + 6);
                goto fail;
            }
            step.kind = MT_STEP_CLICK;
            step.x = (int)x;
            step.y = (int)y;
        } else {
            step.kind = MT_STEP_KEY;
            step.key = mt_key_from_name(s);
            if (step.key < 0) {
                mt_err_set(err, "%s:%d: '%.40s' is not a key name, type TEXT, paste TEXT, wait MS, click X Y or frame FILE", name, line_no, s);
                goto fail;
            }
        }
        if ((step.kind == MT_STEP_TYPE || step.kind == MT_STEP_PASTE || step.kind == MT_STEP_FRAME) && !step.text) goto oom;
        if (!add(out, step)) {
            free(step.text);
            goto oom;
        }
    }
    return true;
oom:
    mt_err_set(err, "%s: out of memory", name);
fail:
    mt_script_free(out);
    return false;
}

void mt_script_free(mt_script *s) {
    for (size_t i = 0; i < s->n; i++) free(s->steps[i].text);
    free(s->steps);
    memset(s, 0, sizeof *s);
}
