#!/bin/sh
# Runs every test binary of each build given as LABEL=BUILD_DIR:MOETOP_BIN and
# ends with one line "N passed, N failed, N skipped" over all of them, after
# the failures again (their FAIL and "also" lines, each cut at 300 bytes), so
# the last lines of a log, which are often all that is kept, name them.
# A binary that crashes or exits without reporting counts as a failure.
# vulkan=BUILD_DIR:MOETOP_BIN runs the engine's tests (parity with the oracle,
# the session, the Vulkan suites, the other families and their synth models) on the Vulkan backend with the Khronos
# validation layer and synchronization validation on; fuzz=SECONDS runs the
# fuzz targets.
set -u
passed=0 failed=0 skipped=0
failures=$(mktemp)
trap 'rm -f "$failures"' EXIT
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
# the Vulkan loader's, lavapipe's and LLVM's own allocations kept until exit
export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp"

for spec in "$@"; do
  if [ "${spec%%=*}" = fuzz ]; then
    # fuzz=SECONDS: each libFuzzer target for that long (make fuzz-build built them)
    echo "== fuzz (${spec#*=} s per target)"
    out=$(sh tests/fuzz/run.sh "${spec#*=}" build/fuzz/bin/fuzz_* 2>&1)
    printf '%s\n' "$out" | sed 's/^/[fuzz] /'
    printf '%s\n' "$out" | grep '^FAIL ' | cut -c1-300 | sed 's/^/[fuzz] /' >> "$failures"
    passed=$((passed + $(printf '%s\n' "$out" | grep -c '^PASS ')))
    failed=$((failed + $(printf '%s\n' "$out" | grep -c '^FAIL ')))
    continue
  fi
  label=${spec%%=*}
  rest=${spec#*=}
  build=${rest%%:*}
  bin=${rest#*:}
  echo "== $label ($build)"
  tests="$build/tests/test_*" backend=cpu validation=
  if [ "$label" = vulkan ]; then
    tests="$build/tests/test_parity $build/tests/test_engine $build/tests/test_vulkan $build/tests/test_vulkan_quant $build/tests/test_families $build/tests/test_vulkan_families $build/tests/test_families_synth" backend=vulkan validation=1
  fi
  for t in $tests; do
    [ -x "$t" ] || continue
    out=$(MOETOP_BIN="$bin" MOETOP_TEST_BACKEND=$backend MOETOP_VK_VALIDATION=$validation "$t" 2>&1)
    status=$?
    printf '%s\n' "$out" | sed "s/^/[$label] /"
    printf '%s\n' "$out" | grep -E '^(FAIL |  also )' | cut -c1-300 | sed "s/^/[$label] /" >> "$failures"
    p=$(printf '%s\n' "$out" | grep -c '^PASS ')
    f=$(printf '%s\n' "$out" | grep -c '^FAIL ')
    s=$(printf '%s\n' "$out" | grep -c '^SKIP ')
    if [ "$status" -gt 1 ] || { [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; }; then
      echo "[$label] FAIL $(basename "$t"): exited with status $status (crash or sanitizer report above)" | tee -a "$failures"
      f=$((f + 1))
    fi
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  done
done
if [ -s "$failures" ]; then
  echo "== failures (as above)"
  cat "$failures"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
