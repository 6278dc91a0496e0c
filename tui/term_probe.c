/* Whether the terminal can run the explorer, asked of terminfo before
 * anything is written to it (its own file: <term.h> defines macros named
 * like ordinary words, such as lines and columns). */
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <term.h>

#include "term.h"

/* A terminfo string capability: NULL when absent or cancelled. */
static const char *string_cap(const char *name) {
    char *v = tigetstr(name);
    return v == (char *)-1 ? NULL : v;
}

/* $NAME as a positive number, else 0. */
static int env_number(const char *name) {
    const char *v = getenv(name);
    char *end;
    long n = v ? strtol(v, &end, 10) : 0;
    return v && *v && !*end && n > 0 && n <= 100000 ? (int)n : 0;
}

bool mt_term_probe(int fd, int *w, int *h, char *err, size_t cap) {
    const char *term = getenv("TERM");
    char name[65]; /* TERM as shown in the message: printable ASCII only, so it stays one line */
    size_t n = 0;
    for (; term && term[n] && n < sizeof name - 1; n++) name[n] = term[n] > ' ' && term[n] < 0x7f ? term[n] : '?';
    name[n] = 0;
    if (!term || !*term) {
        snprintf(err, cap, "TERM is not set: the explorer needs a terminal that can move its cursor (or use --headless)");
        return false;
    }
    int status = 0;
    if (setupterm(term, fd, &status) != OK) { /* setupterm writes nothing when given status */
        if (status == 1) snprintf(err, cap, "TERM=%s is a hard-copy terminal: the explorer needs a full-screen terminal (or use --headless)", name);
        else if (status == 0)
            snprintf(err, cap, "TERM=%s is not in the terminfo database, or too generic to use (ncurses-term has more entries; or use --headless)", name);
        else snprintf(err, cap, "no terminfo database to look TERM=%s up in (install ncurses-base; or use --headless)", name);
        return false;
    }
    /* what the explorer needs: cursor addressing, not a hard-copy or generic entry */
    const char *lacks = tigetflag("hc") > 0 ? "is a hard-copy terminal"
                        : tigetflag("gn") > 0 ? "is a generic entry"
                        : !string_cap("cup") ? "cannot move the cursor (no 'cup' capability)"
                        : NULL;
    if (lacks) snprintf(err, cap, "TERM=%s %s: the explorer needs a full-screen terminal (or use --headless)", name, lacks);
    /* the size as ncurses finds it: $LINES and $COLUMNS, else the window's, else terminfo's */
    struct winsize ws = { 0 };
    bool have_ws = ioctl(fd, TIOCGWINSZ, &ws) == 0;
    int cols = env_number("COLUMNS"), rows = env_number("LINES");
    if (!cols) cols = have_ws && ws.ws_col ? ws.ws_col : tigetnum("cols") > 0 ? tigetnum("cols") : 80;
    if (!rows) rows = have_ws && ws.ws_row ? ws.ws_row : tigetnum("lines") > 0 ? tigetnum("lines") : 24;
    *w = cols;
    *h = rows;
    del_curterm(cur_term);
    return lacks == NULL;
}
