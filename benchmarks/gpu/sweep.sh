#!/usr/bin/env bash
# The transformer sweep of issue 25 on a lent GPU, in one call of the device tool:
#   run(carry=[".gpu/a"], command="bash benchmarks/gpu/sweep.sh stash")      # quick: keeps part 0
#   run(carry=[".gpu/b"], command="bash benchmarks/gpu/sweep.sh", timeout_s=590)
# after `bash benchmarks/gpu/pack.sh` here (the two carries: see pack.sh). Every job is one
# `bench_transformers.py job ... --gpu-id 0`, pinned to a core of its own; each one's rows and
# per-document dev predictions are packed into $OUT/results.tar.gz as soon as it ends (and again
# every 20 s), so a call cut off at its limit still brings back every finished run. A smoke
# test (benchmarks/gpu/smoke.py: each pipeline family on the GPU, `annotate --gpu-id 0`) runs
# beside the sweep. Here: `bash benchmarks/gpu/merge.sh <files_at>` merges the rows.
# Knobs: GPU_ID (0), BUDGET_S (seconds before unfinished jobs are stopped), SMOKE_BUDGET (the smoke
# test's seconds, 220), FIRST_JOB (the job whose pipeline `annotate --gpu-id` runs; the first job line), JOBS (a file of job
# lines: name then bench_transformers.py job arguments), CARRY (.gpu), DRY (1: CPU, 12 steps).
set -uo pipefail
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1
CARRY=${CARRY:-.gpu}
OUT=${OUT:-/tmp/gpu-out}
GPU_ID=${GPU_ID:-0}
BUDGET_S=${BUDGET_S:-540}
DRY=${DRY:-0}
STASH=/tmp/gpu-stash
START=$(date +%s)
mkdir -p "$OUT"
if [ "${1:-}" = stash ]; then  # the first call: keep part 0 of the weights outside the tree too
  mkdir -p "$STASH" && cp "$CARRY"/a/weights.part0 "$STASH"/ && ls -la "$STASH"
  nvidia-smi -L 2>/dev/null; nproc; exit 0
fi
exec > >(tee -a "$OUT/sweep.log") 2>&1
source "$(dirname "$0")/lib.sh"
elapsed() { echo $(( $(date +%s) - START )); }
say() { echo "[sweep $(elapsed)s] $*"; }

say "setup"
SITE=/tmp/gpu-site
mkdir -p "$SITE" && tar -xJf "$CARRY/b/site.tar.xz" -C "$SITE" || { say "could not unpack the site-packages"; exit 1; }
export PYTHONPATH="$PWD:$SITE"
ENC=assets/encoders/minilm
mkdir -p "$ENC"
part0="$CARRY/a/weights.part0"; [ -f "$part0" ] || part0="$STASH/weights.part0"
[ -f "$part0" ] || { say "part 0 of the weights is not here: the first call (sweep.sh stash) ran on another machine; run it again"; exit 1; }
pin() { local core=$1; shift; if command -v taskset > /dev/null; then taskset -c "$core" "$@"; else "$@"; fi; }
cat "$part0" "$CARRY/b/weights.part1" > "$ENC/model.safetensors" && tar -xf "$CARRY/b/encoder.tar" -C "$ENC"
sums="$(cd "$CARRY/b" && pwd)/weights.sha256"
(cd "$ENC" && sha256sum -c "$sums") || { say "the encoder's weights do not match their checksum"; exit 1; }
DATA=/tmp/gpu-data
mkdir -p "$DATA" && tar -xJf "$CARRY/b/data.tar.xz" -C "$DATA"
PY=${PY:-python3}
$PY - <<'PY' || { say "the stack does not import"; exit 1; }
import os, platform, spacy, thinc, spacy_transformers, transformers, torch
print("python", platform.python_version(), "spacy", spacy.__version__, "thinc", thinc.__version__, "transformers", transformers.__version__,
      "torch", torch.__version__, "cuda", torch.cuda.is_available() and torch.cuda.get_device_name(0))
gpu = int(os.environ.get("GPU_ID", "0"))
if os.environ.get("DRY") != "1":
    import cupy
    spacy.require_gpu(gpu)
    print("cupy", cupy.__version__, "spacy on the GPU")
from spacy_maize_ner.corpus.build import build_corpus, parse_labels
from pathlib import Path
out = Path("training/benchmarks/bc2gm/corpus")
if not (out / "dev.spacy").exists():
    build_corpus("bc2gm", Path("/tmp/gpu-data/bc2gm"), out, label_map=parse_labels(""), seed=0)
print("corpus", sorted(p.name for p in out.iterdir()))
PY
[ "$DRY" = 1 ] && GPU_FLAG="--gpu-id -1" || GPU_FLAG="--gpu-id $GPU_ID"
[ "$DRY" = 1 ] && STEPS="--max-steps 12" || STEPS=""

# The jobs, most wanted first: name, then the job's arguments. DAPT jobs wait for the encoder.
JOBS=${JOBS:-benchmarks/gpu/jobs.txt}
mkdir -p /tmp/gpu-runs
collect() {  # rows, dev predictions and logs of the finished jobs -> $OUT/results.tar.gz
  local list=/tmp/gpu-collect.txt
  ls /tmp/gpu-runs/*.rows.json /tmp/gpu-runs/*.log /tmp/gpu-runs/*.stdout /tmp/gpu-runs/*.report.json training/encoders/*/dapt.json 2>/dev/null > "$list"
  find training/benchmarks/bc2gm -maxdepth 2 -name "*.docs.jsonl" >> "$list" 2>/dev/null
  tar -czf /tmp/gpu-results.tmp.tar.gz -T "$list" 2>/dev/null && mv /tmp/gpu-results.tmp.tar.gz "$OUT/results.tar.gz"
}
( while true; do sleep 20; collect; done ) &
COLLECTOR=$!

say "DAPT on the GPU (the project's recipe: 300 steps, seed 0)"
( $PY scripts/dapt.py $ENC training/encoders/minilm-dapt training/benchmarks/bc2gm/corpus/train.spacy \
    --max-steps "$([ "$DRY" = 1 ] && echo 4 || echo 300)" --seed 0 $GPU_FLAG > /tmp/gpu-runs/dapt.log 2>&1
  echo "exit $?" >> /tmp/gpu-runs/dapt.log ) &
DAPT=$!

core=0
ncores=$(nproc)
pids=()
while read -r name args; do
  case "$name" in ''|'#'*) continue;; esac
  if [ "$core" -ge "$ncores" ]; then say "no core left for $name"; continue; fi
  (
    if [[ "$args" == *minilm-dapt* ]]; then wait_for=training/encoders/minilm-dapt/dapt.json
      while [ ! -f "$wait_for" ]; do sleep 2; grep -q "^exit [1-9]" /tmp/gpu-runs/dapt.log 2>/dev/null && exit 1; done
    fi
    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 pin "$core" $PY benchmarks/bench_transformers.py job $args \
      --shared /tmp/gpu-data $GPU_FLAG $STEPS > /tmp/gpu-runs/"$name".stdout 2> /tmp/gpu-runs/"$name".log
    status=$?
    tail -n 1 /tmp/gpu-runs/"$name".stdout > /tmp/gpu-runs/"$name".rows.tmp && [ $status = 0 ] \
      && mv /tmp/gpu-runs/"$name".rows.tmp /tmp/gpu-runs/"$name".rows.json
    echo "[sweep $(( $(date +%s) - START ))s] $name exit $status" | tee -a /tmp/gpu-runs/done.log
  ) &
  pids+=($!)
  say "started $name on core $core"
  core=$((core + 1))
done < "$JOBS"

if [ "$core" -lt "$ncores" ] && [ "$DRY" != 1 ] && [ -f benchmarks/gpu/smoke.py ]; then
  say "smoke test on core $core"
  ( OMP_NUM_THREADS=1 pin "$core" $PY benchmarks/gpu/smoke.py --gpu-id "$GPU_ID" --data /tmp/gpu-data \
      --budget "${SMOKE_BUDGET:-220}" --report /tmp/gpu-runs/smoke.report.json > /tmp/gpu-runs/smoke.log 2>&1 ) &
  SMOKE=$!
  core=$((core + 1))
fi
# `annotate --gpu-id` with the first trained pipeline, on the dev texts (JSONL), as users run it
FIRST=${FIRST_JOB:-$(awk '$1 !~ /^#/ && NF { print $1; exit }' "$JOBS")}  # default: the first job line
(
  wait_for_rows /tmp/gpu-runs "$FIRST" || exit 0
  model=$($PY -c "import json; print(json.load(open('/tmp/gpu-runs/$FIRST.rows.json'))[0]['params']['model'])")
  $PY -c "
import json, spacy
from spacy.tokens import DocBin
docs = DocBin().from_disk('training/benchmarks/bc2gm/corpus/dev.spacy').get_docs(spacy.blank('en').vocab)
with open('/tmp/gpu-dev.jsonl', 'w') as f:
    for i, doc in enumerate(docs):
        f.write(json.dumps({'id': str(i), 'text': doc.text}) + '\n')
"
  start=$(date +%s)
  pin "$((ncores - 1))" $PY -m spacy_maize_ner annotate "$model" /tmp/gpu-dev.jsonl /tmp/gpu-runs/annotate-dev.jsonl $GPU_FLAG \
    --no-progress --report /tmp/gpu-runs/annotate.report.json > /tmp/gpu-runs/annotate.log 2>&1
  echo "exit $? after $(( $(date +%s) - start )) s" >> /tmp/gpu-runs/annotate.log
) &
pids+=($!)

while true; do
  running=0
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && running=$((running + 1)); done
  [ "$running" = 0 ] && break
  if [ "$(elapsed)" -ge "$BUDGET_S" ]; then
    say "budget of ${BUDGET_S}s reached with $running job(s) running: stopping them"
    pkill -f bench_transformers.py; pkill -f smoke.py; pkill -f "spacy_maize_ner annotate"; break
  fi
  sleep 10
  [ $(( $(elapsed) % 60 )) -lt 10 ] && { say "$running job(s) running"; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader 2>/dev/null; }
done
wait "${SMOKE:-0}" 2>/dev/null
kill "$COLLECTOR" 2>/dev/null
collect
cp /tmp/gpu-runs/smoke.log "$OUT/" 2>/dev/null
cat /tmp/gpu-runs/done.log 2>/dev/null
say "end; results: $(tar -tzf "$OUT/results.tar.gz" | wc -l) files"
