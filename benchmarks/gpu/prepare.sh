#!/usr/bin/env bash
# On a machine with the package index: put into .gpu-wheels/ (ignored by git) what the GPU check
# needs on a machine without network: the wheels pinned in requirements.txt (CPython 3.12,
# manylinux x86-64) and the data sets it measures on.  Then, on the GPU machine:
#   bash benchmarks/gpu/run.sh OUTDIR
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=.gpu-wheels
shared=${TEXTKIT_SHARED_DATA:-../shared/data}
mkdir -p "$dest/wheels" "$dest/data"
rm -f "$dest"/wheels/*.whl
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform manylinux1_x86_64 \
    -r benchmarks/gpu/requirements.txt -d "$dest/wheels"
for name in poems/public_domain_poems.txt intent/banking77/train.csv intent/banking77/test.csv; do
    if [ -f "$shared/$name" ]; then
        cp "$shared/$name" "$dest/data/$(echo "$name" | cut -d/ -f2- | tr / _)"
    else
        echo "prepare.sh: $shared/$name is missing; the check will use the shipped corpora" >&2
    fi
done
echo "prepared $dest: $(ls "$dest/wheels" | wc -l) wheels, $(du -sh "$dest" | cut -f1)"
