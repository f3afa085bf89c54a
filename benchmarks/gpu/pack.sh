#!/usr/bin/env bash
# Pack what a lent GPU machine (the device tool: Python 3.12, PyTorch, CuPy, no network) needs
# for benchmarks/gpu/sweep.sh and cannot download, into two carries under 64 MiB each:
#   .gpu/a: the first part of the encoder's weights (carried by a first, quick call)
#   .gpu/b: the rest of the weights, the encoder's other files, the spaCy stack as a stripped
#           site-packages (.so files stripped, no tests or sources)
#           and the BC2GM train/dev files (read at run time, never committed).
# Usage: bash benchmarks/gpu/pack.sh   (PY=3.11 packs for this machine's Python, for a dry run)
set -euo pipefail
PY=${PY:-3.12}
OUTDIR=${OUTDIR:-.gpu}
ENC=${ENC:-assets/encoders/minilm}
SHARED=${SHARED:-../shared/data}
PYTHON=${PYTHON:-.venv/bin/python}
PART=${PART:-58000000}  # bytes of the weights in the first carry
# the spaCy stack's distributions at the versions installed here (constraints.txt pins them)
NAMES="spacy thinc blis cymem murmurhash preshed srsly catalogue confection wasabi weasel spacy-legacy spacy-loggers
spacy-transformers spacy-alignments transformers tokenizers huggingface-hub pydantic pydantic-core annotated-types
typing-inspection cloudpathlib smart-open sklearn-crfsuite python-crfsuite"
pins=$($PYTHON -m pip freeze --exclude-editable | tr 'A-Z_' 'a-z-' | sed 's/+.*//')
specs=""
for name in $NAMES; do
  spec=$(echo "$pins" | grep -E "^$name==" || true)
  [ -n "$spec" ] || { echo "pack.sh: $name is not installed in $PYTHON's environment (make venv)" >&2; exit 1; }
  specs="$specs $spec"
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
platforms="--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux1_x86_64"
$PYTHON -m pip download -q --no-deps --only-binary=:all: --python-version "$PY" --implementation cp $platforms -d "$tmp/whl" $specs
$PYTHON -m pip wheel -q --no-deps --no-build-isolation -w "$tmp/whl" .   # this package, for its entry points
$PYTHON -m pip install -q --no-deps --no-compile --only-binary=:all: --python-version "$PY" --implementation cp $platforms \
  --target "$tmp/site" "$tmp"/whl/*.whl
site="$tmp/site"
find "$site" -name "*.so" -exec strip --strip-unneeded {} \;
find "$site" \( -name "*.pyx" -o -name "*.pxd" -o -name "*.cpp" -o -name "*.c" -o -name "*.h" -o -name "*.pyi" \) -delete
rm -rf "$site"/spacy/tests "$site"/thinc/tests "$site"/blis/tests "$site"/srsly/tests "$site"/bin
rm -rf "$OUTDIR"
mkdir -p "$OUTDIR/a" "$OUTDIR/b"
tar -C "$site" -cJf "$OUTDIR/b/site.tar.xz" .
weights="$ENC/model.safetensors"
head -c "$PART" "$weights" > "$OUTDIR/a/weights.part0"
tail -c +"$((PART + 1))" "$weights" > "$OUTDIR/b/weights.part1"
(cd "$ENC" && sha256sum model.safetensors) > "$OUTDIR/b/weights.sha256"
tar -C "$ENC" --exclude model.safetensors -cf "$OUTDIR/b/encoder.tar" .
tar -C "$SHARED" -cJf "$OUTDIR/b/data.tar.xz" --exclude '*test*' bc2gm
du -sh "$OUTDIR"/a "$OUTDIR"/b
