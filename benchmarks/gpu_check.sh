#!/usr/bin/env bash
# The GPU check in one command (issue 13): the CUDA tests, then the GPU part of every
# benchmark, in under 8 minutes on one GPU. Results go to benchmarks/results/*_cuda*
# (and are copied to $OUT when it is set, as on the lent device machine).
#
# Run from the repository root on a machine with CUDA and PyTorch installed:
#     bash benchmarks/gpu_check.sh
# Packages missing there (skorch, imbalanced-learn, skops, accelerate, ...) are
# installed from wheels in $WHEELS (default .wheels/) when that folder exists; make it
# beforehand on a machine with network access:
#     pip download --only-binary=:all: --no-deps -d .wheels skorch imbalanced-learn \
#         skops accelerate tifffile tabulate tqdm
set -uo pipefail
cd "$(dirname "$0")/.."
WHEELS=${WHEELS:-.wheels}
if [ -d "$WHEELS" ]; then
    pip install -q --no-index --find-links "$WHEELS" "$WHEELS"/*.whl
fi
pip install -q --no-deps --no-build-isolation -e . || pip install -q --no-deps -e .
python -c "import torch; assert torch.cuda.is_available(), 'no CUDA here'; print(torch.cuda.get_device_name(0))" || exit 1

status=0
run() {  # run NAME SECONDS CMD...: one step with its own time limit, logged
    local name=$1 limit=$2; shift 2
    echo "== $name (limit ${limit}s)"
    local start=$SECONDS
    timeout "$limit" "$@" > "benchmarks/results/gpu_check_${name}.log" 2>&1
    local rc=$?
    tail -n 5 "benchmarks/results/gpu_check_${name}.log"
    echo "-- $name: exit $rc after $((SECONDS - start)) s"
    [ $rc -eq 0 ] || status=1
}

run tests 150 python -m pytest -m cuda -q -p no:cacheprovider tests
run augment 30 python benchmarks/bench_augment.py --device cuda
run lstm 90 python benchmarks/bench_lstm.py --quick
run lipnet 60 python benchmarks/bench_lipnet.py --only cuda
run mdn 60 python benchmarks/bench_mdn.py --quick --device cuda --skip quality
run unet 90 python benchmarks/bench_unet.py --quick --device cuda --out unet_cuda

if [ -n "${OUT:-}" ]; then
    cp benchmarks/results/*cuda* benchmarks/results/gpu_check_*.log "$OUT"/ 2>/dev/null
fi
exit $status
