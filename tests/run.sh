#!/bin/sh
# Runs every test binary of each build given as LABEL=BUILD_DIR:MOETOP_BIN and
# ends with one line "N passed, N failed, N skipped" over all of them.
# A binary that crashes or exits without reporting counts as a failure.
set -u
passed=0 failed=0 skipped=0
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"

for spec in "$@"; do
  if [ "${spec%%=*}" = fuzz ]; then
    # fuzz=SECONDS: each libFuzzer target for that long (make fuzz-build built them)
    echo "== fuzz (${spec#*=} s per target)"
    out=$(sh tests/fuzz/run.sh "${spec#*=}" build/fuzz/bin/fuzz_* 2>&1)
    printf '%s\n' "$out" | sed 's/^/[fuzz] /'
    passed=$((passed + $(printf '%s\n' "$out" | grep -c '^PASS ')))
    failed=$((failed + $(printf '%s\n' "$out" | grep -c '^FAIL ')))
    continue
  fi
  label=${spec%%=*}
  rest=${spec#*=}
  build=${rest%%:*}
  bin=${rest#*:}
  echo "== $label ($build)"
  for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    out=$(MOETOP_BIN="$bin" "$t" 2>&1)
    status=$?
    printf '%s\n' "$out" | sed "s/^/[$label] /"
    p=$(printf '%s\n' "$out" | grep -c '^PASS ')
    f=$(printf '%s\n' "$out" | grep -c '^FAIL ')
    s=$(printf '%s\n' "$out" | grep -c '^SKIP ')
    if [ "$status" -gt 1 ] || { [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; }; then
      echo "[$label] FAIL $(basename "$t"): exited with status $status (crash or sanitizer report above)"
      f=$((f + 1))
    fi
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  done
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
