#!/bin/sh
# The check that decides whether a GPU runs the subgroup kernels by default:
# for each kernel set (group, the default on GPUs; subgroup, off by default),
# the parity suite on the Vulkan backend, then bench with --profile on MODEL.
# Run on a machine with a GPU, from the project's root:
#   sh tools/gpu-kernels-check.sh TEST_BIN_DIR MODEL.gguf [MOETOP]
# (TEST_BIN_DIR holds test_parity, test_engine, test_families and
# test_vulkan_families: build/tests here; the families' tests need ../shared.)
# Exit status: 0 when every parity run passed, 1 otherwise, 2 on bad arguments.
set -u
[ $# -ge 2 ] || { echo "usage: sh tools/gpu-kernels-check.sh TEST_BIN_DIR MODEL.gguf [MOETOP]" >&2; exit 2; }
bin=$1 model=$2 moetop=${3:-moetop}
[ -x "$bin/test_parity" ] || { echo "gpu-kernels-check: no test_parity in $bin" >&2; exit 2; }
[ -f "$model" ] || { echo "gpu-kernels-check: $model: no such file" >&2; exit 2; }
status=0
for k in group subgroup; do
    echo "== MOETOP_VK_KERNELS=$k"
    MOETOP_VK_KERNELS=$k "$moetop" devices | grep -i kernels
    for t in test_parity test_engine test_families test_vulkan_families; do
        log=${TMPDIR:-/tmp}/gpu-kernels-$k-$t.log
        MOETOP_VK_KERNELS=$k MOETOP_TEST_BACKEND=vulkan "$bin/$t" >"$log" 2>&1
        rc=$?
        echo "$t: $(grep -c '^PASS' "$log") passed, $(grep -c '^FAIL' "$log") failed, exit $rc ($log)"
        [ $rc = 0 ] || { status=1; grep -A3 '^FAIL' "$log" | head -20; }
    done
    MOETOP_VK_KERNELS=$k "$moetop" bench -m "$model" --backend vulkan -p 512 -n 32 --profile 2>&1 | tail -25
done
exit $status
