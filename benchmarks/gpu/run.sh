#!/usr/bin/env bash
# The GPU check, in one go, on a machine without network:
#   bash benchmarks/gpu/run.sh OUTDIR [--device cuda|cpu] [--quick]
# installs the wheels benchmarks/gpu/prepare.sh put in .gpu-wheels/ (offline, into a private
# folder), puts this checkout on the path, and runs benchmarks/gpu/check.py, which writes
# report.md and report.json (and each part's log) into OUTDIR.  `--device cpu --quick` runs the
# same steps with tiny budgets on any machine (CI does, so the script cannot rot).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
usage="usage: run.sh OUTDIR [--device cuda|cpu] [--quick]"
[ $# -ge 1 ] || { echo "$usage" >&2; exit 2; }
out=$1; shift
device=cuda; quick=()
while [ $# -gt 0 ]; do
    case $1 in
        --device) [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }; device=$2; shift 2 ;;
        --quick) quick=(--quick); shift ;;
        *) echo "run.sh: unknown option $1; $usage" >&2; exit 2 ;;
    esac
done
case $device in cpu|cuda) ;; *) echo "run.sh: --device is cuda or cpu, not $device" >&2; exit 2 ;; esac
python=${PYTHON:-python3}
if [ "$device" = cuda ] && ! "$python" -c "import torch, sys; sys.exit(not torch.cuda.is_available())" 2>/dev/null; then
    echo "run.sh: no CUDA GPU here; on a machine without one use --device cpu (with --quick to try the script)" >&2
    exit 2
fi
wheels=$here/.gpu-wheels/wheels
site=${TMPDIR:-/tmp}/textkit-gpu-site
if ls "$wheels"/*.whl >/dev/null 2>&1; then
    "$python" -m pip install --quiet --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target "$site" "$wheels"/*.whl
    export PYTHONPATH="$here:$site${PYTHONPATH:+:$PYTHONPATH}"
elif [ "$device" = cuda ]; then
    echo "run.sh: no wheels in $wheels; run 'bash benchmarks/gpu/prepare.sh' on a machine with the package index first" >&2
    exit 2
else
    export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"  # on a CPU machine textkit's own install is used
fi
mkdir -p "$out"
exec "$python" "$here/benchmarks/gpu/check.py" "$out" --device "$device" "${quick[@]}"
