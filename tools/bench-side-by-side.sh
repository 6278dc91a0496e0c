#!/bin/sh
# moetop against llama.cpp's llama-bench on the same model in the same run
# (`make bench` calls this). llama.cpp is a measuring stick built beside the
# project, never part of it; an anchor that is not given is said and skipped.
#
#   sh tools/bench-side-by-side.sh MODEL.gguf MOETOP LLAMA_BENCH_CPU LLAMA_BENCH_VULKAN [ROUNDS]
#
# Each round runs moetop and llama.cpp back to back (llama.cpp second in odd
# rounds, first in even ones), so that both see the same machine; the table gives each side's median over the rounds and the
# median of the per-round ratios (moetop / llama.cpp: above 1, moetop is
# faster). The anchors' commands are the ones the project compares against:
#   CPU:      llama-bench -t 2 -p 64 -n 32 -r 2   vs  moetop bench --threads 2 -p 64 -n 32
#   lavapipe: llama-bench -ngl 99 -p 64 -n 16 -r 1  vs  moetop bench --backend vulkan -p 64 -n 16
# llama-bench decodes from an empty context; moetop decodes after its prompt.
# ggml-vulkan skips CPU devices (lavapipe) unless GGML_VK_VISIBLE_DEVICES
# names them: without it the lavapipe anchor runs on llama.cpp's CPU backend,
# which the table then says.
# BENCH_KEEP=1 keeps the raw outputs (the folder is named on the first line).
# Exit status 1 when a given anchor is not a working llama-bench (moetop's own
# figure is still printed), else 0.
set -u
status=0
model=$1 moetop=$2 cpu_anchor=${3:-} vk_anchor=${4:-} rounds=${5:-3}
tmp=$(mktemp -d) || exit 1
[ -n "${BENCH_KEEP:-}" ] && echo "keeping $tmp"
[ -n "${BENCH_KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT INT TERM

# moetop's JSON field $2 from file $1 (one flat object)
json_num() { sed -n "s/.*\"$2\": *\([0-9.eE+-]*\).*/\1/p" "$1" | head -n 1; }

# llama-bench CSV ($1): avg_ts of the row whose n_prompt > 0 (prefill) or n_gen > 0 (decode), by $2
csv_ts() {
    awk -F'","' -v want="$2" '
        NR == 1 { gsub(/"/, ""); n = split($0, h, ","); for (i = 1; i <= n; i++) col[h[i]] = i; next }
        { gsub(/^"|"$/, "") }
        want == "prefill" && $col["n_prompt"] > 0 { print $col["avg_ts"]; exit }
        want == "decode" && $col["n_gen"] > 0 { print $col["avg_ts"]; exit }' "$1"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# compare LABEL ANCHOR "MOETOP ARGS" "LLAMA ARGS"
compare() {
    label=$1 anchor=$2 margs=$3 largs=$4
    if [ -z "$anchor" ]; then
        echo "$label: no llama.cpp build given (see the README's Speed section): moetop alone"
        # shellcheck disable=SC2086
        "$moetop" bench -m "$model" $margs | tail -n 1
        return
    fi
    if [ ! -x "$anchor" ] || [ -d "$anchor" ]; then
        echo "$label: $anchor is not an executable llama-bench: moetop alone"
        # shellcheck disable=SC2086
        "$moetop" bench -m "$model" $margs | tail -n 1
        status=1
        return
    fi
    : > "$tmp/m.pre" && : > "$tmp/m.dec" && : > "$tmp/l.pre" && : > "$tmp/l.dec" && : > "$tmp/r.pre" && : > "$tmp/r.dec"
    r=1
    while [ "$r" -le "$rounds" ]; do
        # shellcheck disable=SC2086
        code=0
        # odd rounds run llama.cpp second, even rounds first: neither side always follows the other
        [ $((r % 2)) = 0 ] && { "$anchor" -m "$model" $largs -o csv > "$tmp/l.csv" 2> "$tmp/l.err" || code=$?; }
        # shellcheck disable=SC2086
        if ! "$moetop" bench -m "$model" $margs --json > "$tmp/m.json" 2> "$tmp/m.err"; then
            echo "$label: moetop failed: $(head -n 1 "$tmp/m.err")"
            return
        fi
        # shellcheck disable=SC2086
        [ $((r % 2)) = 1 ] && { "$anchor" -m "$model" $largs -o csv > "$tmp/l.csv" 2> "$tmp/l.err" || code=$?; }
        if [ "$code" != 0 ]; then
            msg=$(grep -v '^[[:space:]]*$' "$tmp/l.err" | tail -n 1)
            echo "$label: $anchor failed (exit $code): ${msg:-no message}"
            awk -v p="$(json_num "$tmp/m.json" prefill_tok_s)" -v d="$(json_num "$tmp/m.json" decode_tok_s)" 'BEGIN { printf "  moetop alone: prefill %.1f tok/s, decode %.1f tok/s\n", p, d }'
            status=1
            return
        fi
        mp=$(json_num "$tmp/m.json" prefill_tok_s) md=$(json_num "$tmp/m.json" decode_tok_s)
        lp=$(csv_ts "$tmp/l.csv" prefill) ld=$(csv_ts "$tmp/l.csv" decode)
        if [ -z "$mp" ] || [ -z "$md" ] || [ -z "$lp" ] || [ -z "$ld" ]; then
            echo "$label: could not read a figure (moetop '$mp' '$md', llama.cpp '$lp' '$ld'): skipped"
            return
        fi
        echo "$mp" >> "$tmp/m.pre" && echo "$md" >> "$tmp/m.dec" && echo "$lp" >> "$tmp/l.pre" && echo "$ld" >> "$tmp/l.dec"
        awk -v a="$mp" -v b="$lp" 'BEGIN { print a / b }' >> "$tmp/r.pre"
        awk -v a="$md" -v b="$ld" 'BEGIN { print a / b }' >> "$tmp/r.dec"
        r=$((r + 1))
    done
    printf '%-30s %14s %16s %8s   %s\n' "$label" "moetop tok/s" "llama.cpp tok/s" "ratio" "every round's ratio"
    if grep -q "No devices found" "$tmp/l.err" 2>/dev/null; then
        echo "  (llama.cpp found no Vulkan device it would use, so it ran on its CPU backend: ggml-vulkan skips CPU devices"
        echo "   such as lavapipe unless GGML_VK_VISIBLE_DEVICES names them; GGML_VK_VISIBLE_DEVICES=0 make bench puts it there)"
    fi
    for t in pre dec; do
        name=$([ "$t" = pre ] && echo "  prefill" || echo "  decode")
        printf '%-30s %14.1f %16.1f %7.2fx   %s\n' "$name" "$(median < "$tmp/m.$t")" "$(median < "$tmp/l.$t")" \
            "$(median < "$tmp/r.$t")" "$(sort -g "$tmp/r.$t" | awk '{ printf "%s%.2f", (NR > 1 ? " " : ""), $1 }')"
        printf '%-30s %14.1f %16.1f %7.2fx   (the best round of each side)\n' "" "$(sort -g "$tmp/m.$t" | tail -n 1)" \
            "$(sort -g "$tmp/l.$t" | tail -n 1)" "$(awk -v a="$(sort -g "$tmp/m.$t" | tail -n 1)" -v b="$(sort -g "$tmp/l.$t" | tail -n 1)" 'BEGIN { print a / b }')"
        # how often moetop was the faster, and the two-sided sign test's p-value (ties dropped)
        awk '{ n += ($1 != 1); w += ($1 > 1) } END {
            if (n == 0) exit
            k = (w < n - w ? w : n - w); p = 0; c = 1
            for (i = 0; i <= n; i++) { if (i <= k) p += c; c = c * (n - i) / (i + 1) }
            p = 2 * p / 2 ^ n; if (p > 1) p = 1
            printf "%-30s   moetop faster in %d of %d rounds (sign test, two-sided: p = %.2g)\n", "", w, n, p }' "$tmp/r.$t"
        sort -g "$tmp/r.$t" | awk -v what="$name" 'NR == 1 { lo = $1 } { hi = $1 } END {
            if (lo > 0 && hi / lo > 1.3) printf "%-30s   rounds disagree by %.0f%%: the machine was busy; the median is a rough figure (BENCH_ROUNDS=9, or a quieter moment)\n", "", 100 * (hi / lo - 1) }'
    done
}

echo "moetop against llama.cpp on $(basename "$model"), in the same run: each of $rounds rounds runs moetop bench (a warm-up,"
echo "then one measured prefill and decode) and llama-bench (its own warm-up, then the mean of its repetitions), in turns; the"
echo "tok/s are medians over the rounds, the ratio is the median of the rounds' moetop / llama.cpp (above 1: moetop faster)."
echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null) (on a machine with $(nproc 2>/dev/null || echo ?) cores: more than a little means other work skews both sides)"
compare "CPU, 2 threads (-p 64 -n 32)" "$cpu_anchor" "--threads 2 -p 64 -n 32" "-t 2 -p 64 -n 32 -r 2"
compare "lavapipe (-p 64 -n 16)" "$vk_anchor" "--backend vulkan -p 64 -n 16" "-ngl 99 -p 64 -n 16 -r 1"
exit $status
