#!/bin/sh
# Drives the explorer in tmux through long work: a prompt of thousands of
# tokens on a model big enough to take seconds, cancelled with Esc; then an
# intervention's recompute cancelled (stale layers) and finished with r.
# Usage: tmux_progress.sh MOETOP MODEL OUTDIR. Writes OUTDIR/cap-*.txt.
set -u
bin=$1 model=$2 out=$3
session=moetop-progress-$$
long=$(printf 'x%.0s' $(seq 3000))
half=$(printf 'y%.0s' $(seq 1500))
tmux new-session -d -s "$session" -x 100 -y 30 "$bin -m $model --prompt '$long'; echo \$? > $out/status; sleep 5" || exit 1
cap() { tmux capture-pane -t "$session" -p > "$out/cap-$1.txt"; }
# waits (up to 120 s) until the status line is the heatmap's again: typing
# done, no progress bar
settle() {
  i=0
  while [ $i -lt 240 ]; do
    sleep 0.5
    tmux capture-pane -t "$session" -p | tail -1 | grep -q '^ heatmap |' && return 0
    i=$((i + 1))
  done
}
sleep 1.5; cap computing
tmux send-keys -t "$session" Escape; sleep 1; cap cancelled
tmux send-keys -t "$session" e C-u; tmux send-keys -t "$session" -l "$half"; tmux send-keys -t "$session" Enter
settle; cap prompt
# (the heatmap then computes the baseline its change marks need: settle)
tmux send-keys -t "$session" m; sleep 0.8; tmux send-keys -t "$session" Escape; settle; cap stale
tmux send-keys -t "$session" r; settle; cap recomputed
tmux send-keys -t "$session" q; sleep 1
tmux kill-session -t "$session" 2>/dev/null
exit 0
