#!/bin/sh
# Records the explorer in a live 80x12 tmux pane (--record), resizes the
# window to 70x10, moves to the next token and quits; every step waits for a
# state of the screen or of a file (up to 60 s each), never for a fixed time.
# Usage: tmux_record.sh MOETOP MODEL OUTDIR. Writes OUTDIR/live.cast,
# OUTDIR/live.status (the exit status) and OUTDIR/step (the last step reached).
set -u
bin=$1 model=$2 out=$3
session=moetop-record-$$
# polls (every 0.1 s, up to 60 s) until the command succeeds
until_true() {
  i=0
  while [ $i -lt 600 ]; do
    "$@" && return 0
    sleep 0.1
    i=$((i + 1))
  done
  return 1
}
screen_shows() { tmux capture-pane -t "$session" -p 2>/dev/null | grep -q "$1"; }
screen_is() { [ "$(tmux display-message -t "$session" -p '#{pane_width}x#{pane_height}')" = "$1" ] && screen_shows "$2"; }
tmux new-session -d -s "$session" -x 80 -y 12 \
  "$bin -m $model --prompt 'The quick brown fox' --record $out/live.cast; echo \$? > $out/live.status; sleep 60" || exit 1
step() { echo "$1" >> "$out/step"; }
step start
# a key sent after the resize is read after it: once its effect shows on a
# 70x10 pane, the frame of the new size has been drawn (and recorded)
until_true screen_shows 'token 0, layer 0' && step drawn &&
  tmux resize-window -t "$session" -x 70 -y 10 && tmux send-keys -t "$session" j &&
  until_true screen_is 70x10 'token 1, layer 0' && step resized
tmux send-keys -t "$session" q
until_true test -s "$out/live.status" && step quit
tmux kill-session -t "$session" 2>/dev/null
exit 0
