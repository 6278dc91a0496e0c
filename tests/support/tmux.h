/* A program in a real terminal for the tests: a private tmux server (its own
 * socket under the test's directory, no user configuration) runs it in a
 * pane; keys are sent with send-keys and the screen read with capture-pane.
 * Tests wait for states (a screen showing some text, the program gone), never
 * for a fixed time: each wait polls every 20 ms up to a deadline that only
 * bounds a hang (TMUX_DEADLINE_S), so a busy machine is slower, not failing. */
#ifndef MT_TMUX_H
#define MT_TMUX_H

#include <stdbool.h>

/* Seconds any one wait may take before the test fails: minutes, far above
 * what the slowest state (a sanitizer build on a loaded machine) needs. */
#define TMUX_DEADLINE_S 600.0

typedef struct tmux_pane {
    char socket[512]; /* the server's socket: -S socket */
    char status[600]; /* the program's exit status is written here */
    double waited;    /* seconds the last successful wait took */
    char last[16384]; /* the last screen captured, blank lines left out (for failure messages) */
} tmux_pane;

/* True when the tmux command exists; otherwise the test fails, naming the
 * package (tools/deps.sh installs it). */
bool tmux_require(void);
/* Starts a server and in it a width x height pane running argv (NULL-ended,
 * run directly, no shell; "env" sets variables). The pane stays after the
 * program exits, so its last screen can be read. False (and a failed check)
 * when tmux could not start it. */
bool tmux_open(tmux_pane *p, int width, int height, const char *const *argv);
/* send-keys: key names (Escape, Enter, C-u, j) or, with literal, the bytes of
 * keys as they are. */
bool tmux_keys(tmux_pane *p, bool literal, const char *keys);
/* Pastes text into the pane as a terminal would (load-buffer, then
 * paste-buffer -p: bracketed, ESC [ 200 ~ .. ESC [ 201 ~, when the program
 * turned xterm's mode 2004 on; line ends sent as CR, as tmux does). */
bool tmux_paste(tmux_pane *p, const char *text);
/* resize-window to width x height. */
bool tmux_resize(tmux_pane *p, int width, int height);
/* Polls the screen (with SGR colour sequences when colours) until text
 * appears on it (or, when bottom, on its last non-blank line) and returns that
 * screen (caller frees); after TMUX_DEADLINE_S a failed check naming what was
 * awaited and the last screen, and NULL. */
char *tmux_wait_for(tmux_pane *p, const char *text, bool colours, bool bottom);
/* Waits until the program has exited and gives its exit status (128 + N for
 * signal N); -1 (and a failed check) after TMUX_DEADLINE_S. */
int tmux_wait_exit(tmux_pane *p);
/* Kills the server (and the program, if still running). */
void tmux_close(tmux_pane *p);

#endif
