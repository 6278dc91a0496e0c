#!/bin/sh
# The check that decides whether a GPU runs the subgroup kernels by default:
# for each kernel set (group, the default on GPUs; subgroup, off by default),
# the parity suite on the Vulkan backend, then bench with --profile on MODEL.
# Run on a machine with a GPU, from the project's root:
#   sh tools/gpu-kernels-check.sh TEST_BIN_DIR MODEL.gguf [MOETOP]
# (TEST_BIN_DIR holds test_parity, test_engine, test_families and
# test_vulkan_families: build/tests here; the families' tests need ../shared;
# MOETOP defaults to ./moetop, the build's, else moetop on the PATH.)
# Exit status: 0 when every parity run and bench passed, 1 otherwise, 2 on
# bad arguments (no tests, no moetop, a model moetop cannot read).
set -u
[ $# -ge 2 ] || { echo "usage: sh tools/gpu-kernels-check.sh TEST_BIN_DIR MODEL.gguf [MOETOP]" >&2; exit 2; }
bin=$1 model=$2
if [ $# -ge 3 ]; then moetop=$3; elif [ -x ./moetop ]; then moetop=./moetop; else moetop=moetop; fi
for t in test_parity test_engine test_families test_vulkan_families; do
    [ -x "$bin/$t" ] || { echo "gpu-kernels-check: no $t in $bin" >&2; exit 2; }
done
"$moetop" --version >/dev/null 2>&1 || { echo "gpu-kernels-check: $moetop: does not run (give the path of moetop as the third argument)" >&2; exit 2; }
[ -f "$model" ] || { echo "gpu-kernels-check: $model: no such file" >&2; exit 2; }
"$moetop" info "$model" >/dev/null || exit 2 # moetop said why, in one line
status=0
for k in group subgroup; do
    echo "== MOETOP_VK_KERNELS=$k"
    MOETOP_VK_KERNELS=$k "$moetop" devices | grep -v '^cpu:' | grep -i kernels
    for t in test_parity test_engine test_families test_vulkan_families; do
        log=${TMPDIR:-/tmp}/gpu-kernels-$k-$t.log
        MOETOP_VK_KERNELS=$k MOETOP_TEST_BACKEND=vulkan "$bin/$t" >"$log" 2>&1
        rc=$?
        echo "$t: $(grep -c '^PASS' "$log") passed, $(grep -c '^FAIL' "$log") failed, exit $rc ($log)"
        [ $rc = 0 ] || { status=1; grep -A3 '^FAIL' "$log" | head -20; }
    done
    log=${TMPDIR:-/tmp}/gpu-kernels-$k-bench.log
    MOETOP_VK_KERNELS=$k "$moetop" bench -m "$model" --backend vulkan -p 512 -n 32 --profile >"$log" 2>&1
    rc=$?
    tail -25 "$log"
    [ $rc = 0 ] || { status=1; echo "bench: exit $rc ($log)"; }
done
exit $status
