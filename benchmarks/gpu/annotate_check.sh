#!/usr/bin/env bash
# `annotate --gpu-id 0` with a trained pipeline on a lent GPU, against the same command on that
# machine's CPU: words/s, peak GPU memory (nvidia-smi, sampled every 0.2 s) and whether the two
# outputs hold the same entities. Two calls of the device tool, the second within 30 s of the first
# (the pipeline is 89 MB, over the 64 MiB one call carries):
#   run(carry=[".gpu/c"], command="bash benchmarks/gpu/annotate_check.sh stash")
#   run(carry=[".gpu/d"], command="bash benchmarks/gpu/annotate_check.sh")
# Packing here (MODEL: a model-best folder; dev.jsonl: the BC2GM dev texts, never committed):
#   tar -C $(dirname MODEL) -cf /tmp/model.tar model-best; sha256sum /tmp/model.tar | cut -d' ' -f1 > .gpu/d/model.sha256
#   head -c 58000000 /tmp/model.tar > .gpu/c/model.part0; tail -c +58000001 /tmp/model.tar > .gpu/d/model.part1
#   cp .gpu/b/site.tar.xz .gpu/d/   (benchmarks/gpu/pack.sh)
set -uo pipefail
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1
OUT=${OUT:-/tmp/gpu-out}
STASH=/tmp/gpu-stash
mkdir -p "$OUT" "$STASH"
if [ "${1:-}" = stash ]; then cp .gpu/c/model.part0 "$STASH"/ && ls -la "$STASH"; nvidia-smi -L; exit 0; fi
[ -f "$STASH/model.part0" ] || { echo "part 0 of the pipeline is not here: run the stash call again first"; exit 1; }
SITE=/tmp/gpu-site
mkdir -p "$SITE" && tar -xJf .gpu/d/site.tar.xz -C "$SITE" || exit 1
export PYTHONPATH="$PWD:$SITE"
cat "$STASH/model.part0" .gpu/d/model.part1 > /tmp/model.tar
[ "$(sha256sum /tmp/model.tar | cut -d' ' -f1)" = "$(cat .gpu/d/model.sha256)" ] || { echo "the pipeline does not match its checksum"; exit 1; }
mkdir -p /tmp/pipe && tar -xf /tmp/model.tar -C /tmp/pipe
for dev in gpu cpu; do
  flag=$([ $dev = gpu ] && echo "--gpu-id 0" || echo "--gpu-id -1")
  ( while true; do nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits; sleep 0.2; done ) > /tmp/mem-$dev.txt &
  sampler=$!
  start=$(date +%s.%N)
  python3 -m spacy_maize_ner annotate /tmp/pipe/model-best .gpu/d/dev.jsonl "$OUT/annotate-$dev.jsonl" $flag --no-progress \
    --report "$OUT/annotate-$dev.report.json" > "$OUT/annotate-$dev.log" 2>&1
  rc=$?
  kill $sampler
  echo "$dev: exit $rc after $(python3 -c "import time; print(round(time.time() - $start, 1))") s (load included); peak GPU memory $(sort -n /tmp/mem-$dev.txt | tail -1) MiB"
  tail -3 "$OUT/annotate-$dev.log"
done
python3 - <<'PY'
import json, os
out = os.environ.get("OUT", "/tmp/gpu-out")
def ents(dev):
    with open(f"{out}/annotate-{dev}.jsonl") as f:
        return {(r["id"], e["start"], e["end"], e["label"]) for r in map(json.loads, f) for e in r.get("entities", r.get("spans", []))}
g, c = ents("gpu"), ents("cpu")
print(f"entities: GPU {len(g)}, CPU {len(c)}, in both {len(g & c)}")
for dev in ("gpu", "cpu"):
    rep = json.load(open(f"{out}/annotate-{dev}.report.json"))
    print(dev, {k: v for k, v in rep.items() if isinstance(v, (int, float, str)) and len(str(v)) < 80})
PY
