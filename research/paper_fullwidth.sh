#!/usr/bin/env bash
# The paper's experiment at FULL width, four detail-loss variants, then Table 1: one command for a
# CUDA machine (an H100 with a 10-minute limit per command), resumable, with a CPU smoke mode.
#
# What it does, from the repository root:
#   1. makes the device's Python able to import qrdeblur: PYTHONPATH=src, plus segno and zxing-cpp
#      from the wheels in runs/device-wheels (if that Python lacks them; see --prepare);
#   2. checks the code-trained VGG16 of configs/paper-full/code-vgg.yaml (runs/code-vgg, carried from
#      the machine that ran --prepare); if it is missing, rebuilds it there (research/train_code_vgg.py,
#      --device auto: ~1 min on a GPU, not bit-identical to the CPU build);
#   3. writes each variant's config with max_minutes = PAPER_TRAIN_MINUTES (a clean stop with a
#      checkpoint) into RUNS/configs/, and trains the four variants CONCURRENTLY on the one GPU
#      (~5 GiB of saved activations each at batch 10, so ~4 x 8 GiB with the workspace: they fit an
#      80 GiB card, share its time evenly, and stop at the same deadline): `python -m qrdeblur.train
#      --config RUNS/configs/V.yaml --out RUNS/V`, with --resume when RUNS/V/last.pt exists;
#   4. Table 1 over the four last.pt (python -m qrdeblur.bench.paper_table --device auto) into
#      $OUT/table1, and a summary of each run (steps reached, s/step, last validation) into
#      $OUT/summary.json;
#   5. packs what a report needs (each run's config, metrics, figures fig6/fig7/fig8, samples, logs,
#      the code VGG's json) into $OUT/paper-full-runs.tar.gz. The checkpoints stay in RUNS: 186 MB
#      each, over what comes back from a device command (8 files of 16 MiB at most).
# $OUT then holds 5 files: paper_fullwidth.log, summary.json, table1/table1.md, table1/table1.csv,
# paper-full-runs.tar.gz.
#
# Before the device command, on the developer machine (no GPU; ~13 min of one CPU core):
#   bash research/paper_fullwidth.sh --prepare
# which downloads the two wheels into runs/device-wheels and builds runs/code-vgg if missing. The
# device command then carries both (run tool: carry ["runs/code-vgg", "runs/device-wheels"]):
#   OUT=$OUT bash research/paper_fullwidth.sh
# Smoke test on a CPU (2 steps at width 0.0625, 1-draw table; ~1-2 min):
#   OUT=/tmp/pf-out PAPER_RUNS=/tmp/pf-runs PAPER_SMOKE=1 PYTHON=.venv/bin/python bash research/paper_fullwidth.sh
#
# Settings (environment):
#   OUT                  folder whose files come back (required)
#   PYTHON               the Python with torch (default python3)
#   PAPER_RUNS           run folders (default runs/paper-full; kept between commands on a warm machine)
#   PAPER_VARIANTS       which configs of configs/paper-full (default "random-vgg no-detail code-vgg pixel")
#   PAPER_TRAIN_MINUTES  each training's clean stop, minutes after its start (default 7: the four run
#                        side by side, then ~1 min of table and packing: ~8.5 min of a 10-minute command)
#   PAPER_PARALLEL       1 (default): the variants side by side; 0: one after another
#   PAPER_CODE_VGG       folder of the code VGG (default runs/code-vgg)
#   PAPER_SMOKE          1: tiny settings for a CPU test (the defaults of the four below)
#   PAPER_STEPS, PAPER_WIDTH, PAPER_VAL_COUNT, PAPER_DRAWS   override steps, both networks' width,
#                        val.count and the table's draws per cell
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
CODE_VGG=${PAPER_CODE_VGG:-runs/code-vgg}
WHEELS=runs/device-wheels
SMOKE=${PAPER_SMOKE:-0}

if [[ "${1:-}" == "--prepare" ]]; then
  mkdir -p "$WHEELS"
  "$PYTHON" -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d "$WHEELS" zxing-cpp==3.1.1 segno==1.6.6
  if [[ ! -f "$CODE_VGG/vgg16-codes.pth" ]]; then
    PYTHONPATH=src nice -n 19 "$PYTHON" research/train_code_vgg.py --out "$CODE_VGG"
  fi
  ls -l "$WHEELS" "$CODE_VGG"
  exit 0
fi

: "${OUT:?set OUT to the folder whose files come back}"
RUNS=${PAPER_RUNS:-runs/paper-full}
VARIANTS=${PAPER_VARIANTS:-random-vgg no-detail code-vgg pixel}
MINUTES=${PAPER_TRAIN_MINUTES:-7}
PARALLEL=${PAPER_PARALLEL:-1}
if [[ "$SMOKE" == 1 ]]; then
  STEPS=${PAPER_STEPS:-2} WIDTH=${PAPER_WIDTH:-0.0625} VAL_COUNT=${PAPER_VAL_COUNT:-2} DRAWS=${PAPER_DRAWS:-1}
else
  STEPS=${PAPER_STEPS:-} WIDTH=${PAPER_WIDTH:-} VAL_COUNT=${PAPER_VAL_COUNT:-} DRAWS=${PAPER_DRAWS:-10}
fi
mkdir -p "$OUT" "$RUNS/configs"
exec > >(tee -a "$OUT/paper_fullwidth.log") 2>&1
echo "== paper_fullwidth.sh $(date -u +%FT%TZ) variants: $VARIANTS minutes: $MINUTES smoke: $SMOKE"
T0=$(date +%s)

# 1. imports
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
if ! "$PYTHON" -c "import segno, zxingcpp" 2>/dev/null; then
  ls "$WHEELS"/*.whl >/dev/null || { echo "segno/zxing-cpp missing and no wheels in $WHEELS (run --prepare)"; exit 1; }
  "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
    "$WHEELS"/*.whl
  export PYTHONPATH="$PYTHONPATH:/tmp/site"
fi
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
fi
"$PYTHON" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"

# 2. the code-trained VGG16
if [[ " $VARIANTS " == *" code-vgg "* && ! -f "$CODE_VGG/vgg16-codes.pth" ]]; then
  echo "== building the code VGG16 into $CODE_VGG (it was not carried)"
  if [[ "$SMOKE" == 1 ]]; then
    "$PYTHON" research/train_code_vgg.py --out "$CODE_VGG" --device auto --steps 3 --batch 4 --eval-count 8
  else
    "$PYTHON" research/train_code_vgg.py --out "$CODE_VGG" --device auto
  fi
fi

# 3. the configs of this launch, then the trainings
for v in $VARIANTS; do
  "$PYTHON" - "configs/paper-full/$v.yaml" "$RUNS/configs/$v.yaml" <<EOF
import sys
import yaml
src, dst = sys.argv[1:]
c = yaml.safe_load(open(src, encoding="utf-8"))
c["max_minutes"] = float("$MINUTES")
if c["loss"]["detail"]["weights"] not in ("random", None) and c["loss"]["detail"]["weight"] > 0:
    c["loss"]["detail"]["weights"] = "$CODE_VGG/vgg16-codes.pth"
if "$STEPS":
    c["steps"] = int("$STEPS")
if "$WIDTH":
    c["generator"]["args"]["width"] = c["discriminator"]["args"]["width"] = float("$WIDTH")
if "$VAL_COUNT":
    c["val"]["count"] = int("$VAL_COUNT")
if "$SMOKE" == "1":
    c.update(log_every=1, checkpoint_every=1, threads=1)
    c["data"]["workers"] = 0
    c["val"].update(every=1, sample_count=2)
yaml.safe_dump(c, open(dst, "w", encoding="utf-8"), sort_keys=False)
EOF
done

train_one() {  # variant -> its exit status; stops itself at max_minutes, killed 90 s after that
  local v=$1 resume=()
  if [[ -f "$RUNS/$v/last.pt" ]]; then
    resume=(--resume)
  elif [[ -d "$RUNS/$v" ]]; then  # a start that died before its first checkpoint
    mv "$RUNS/$v" "$RUNS/$v.failed-$(date +%s)"
  fi
  local limit
  limit=$("$PYTHON" -c "print(int(float('$MINUTES') * 60 + 90))")
  timeout --kill-after=20 "$limit" "$PYTHON" -m qrdeblur.train --config "$RUNS/configs/$v.yaml" \
    --out "$RUNS/$v" "${resume[@]}" >"$RUNS/$v.log" 2>&1
}

declare -A STATUS
if [[ "$PARALLEL" == 1 ]]; then
  declare -A PIDS
  for v in $VARIANTS; do
    train_one "$v" &
    PIDS[$v]=$!
  done
  for v in $VARIANTS; do
    if wait "${PIDS[$v]}"; then STATUS[$v]=0; else STATUS[$v]=$?; fi
  done
else
  for v in $VARIANTS; do
    if train_one "$v"; then STATUS[$v]=0; else STATUS[$v]=$?; fi
  done
fi
for v in $VARIANTS; do
  echo "== $v: exit ${STATUS[$v]}; last lines of $RUNS/$v.log:"
  tail -n 3 "$RUNS/$v.log" | cut -c1-400
done
echo "== training done after $(( $(date +%s) - T0 )) s"

# 4. Table 1 and the summary
CKPTS=()
for v in $VARIANTS; do
  if [[ -f "$RUNS/$v/last.pt" ]]; then CKPTS+=(--checkpoint "$v=$RUNS/$v/last.pt"); fi
done
TABLE_STATUS=0
if (( ${#CKPTS[@]} )); then
  "$PYTHON" -m qrdeblur.bench.paper_table "${CKPTS[@]}" --payloads configs/paper/paper-codes.txt \
    --out "$OUT/table1" --draws "$DRAWS" --repeats 3 --threads 2 --device auto || TABLE_STATUS=$?
fi
"$PYTHON" - "$RUNS" "$OUT/summary.json" "$CODE_VGG" $VARIANTS <<'EOF'
import csv
import json
import sys
from pathlib import Path

import torch
import yaml

runs, out, code_vgg, variants = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4:]
summary = {"gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
           "torch": torch.__version__, "variants": {}}
info = code_vgg / "vgg16-codes.json"
if info.exists():
    meta = json.loads(info.read_text())
    summary["code_vgg"] = {k: meta.get(k) for k in ("heldout_accuracy", "device", "seconds", "weights_sha256")}
for v in variants:
    run = runs / v
    row = {"folder": str(run)}
    if (run / "metrics.csv").exists():
        rows = list(csv.DictReader(open(run / "metrics.csv", encoding="utf-8")))
        steps = [r for r in rows if r["g_total"]]
        vals = [r for r in rows if r["val_qr_mae"]]
        cfg = yaml.safe_load(open(run / "config.yaml", encoding="utf-8"))
        row.update(steps_planned=cfg["steps"], steps_done=int(steps[-1]["step"]) if steps else 0,
                   elapsed_s=float(rows[-1]["elapsed_s"]) if rows else None)
        if len(steps) >= 2:
            a, b = steps[0], steps[-1]
            row["s_per_step"] = round((float(b["elapsed_s"]) - float(a["elapsed_s"]))
                                      / max(1, int(b["step"]) - int(a["step"])), 4)
        if vals:
            row["first_val"] = {k: vals[0][k] for k in ("step", "val_qr_mae", "val_psnr", "val_decode_rate")}
            row["last_val"] = {k: vals[-1][k] for k in ("step", "val_qr_mae", "val_psnr", "val_decode_rate")}
    summary["variants"][v] = row
table = out.parent / "table1" / "table1.csv"
if table.exists():
    cells = list(csv.DictReader(open(table, encoding="utf-8")))
    summary["table1_decodable_cells"] = {
        m: sum(r["decodable"] == "True" for r in cells if r["method"] == m) for m in dict.fromkeys(r["method"] for r in cells)}
out.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
print(json.dumps(summary, indent=1))
EOF

# 5. what comes back besides the table and the summary
BUNDLE=$(mktemp -d)
for v in $VARIANTS; do
  mkdir -p "$BUNDLE/$v"
  for f in config.yaml metrics.csv command.txt environment.jsonl samples.npz \
           fig6_progress.png fig7_g_loss.png fig8_qr_mae.png; do
    if [[ -f "$RUNS/$v/$f" ]]; then cp "$RUNS/$v/$f" "$BUNDLE/$v/"; fi
  done
  if [[ -f "$RUNS/$v.log" ]]; then cp "$RUNS/$v.log" "$BUNDLE/$v/train.log"; fi
done
cp -r "$RUNS/configs" "$BUNDLE/configs"
if [[ -f "$CODE_VGG/vgg16-codes.json" ]]; then cp "$CODE_VGG/vgg16-codes.json" "$BUNDLE/"; fi
tar -czf "$OUT/paper-full-runs.tar.gz" -C "$BUNDLE" .
rm -rf "$BUNDLE"
echo "== done after $(( $(date +%s) - T0 )) s; OUT:"
ls -l "$OUT" "$OUT/table1" 2>/dev/null || true

FAILED=0
for v in $VARIANTS; do [[ "${STATUS[$v]}" == 0 ]] || FAILED=1; done
(( FAILED == 0 && TABLE_STATUS == 0 ))
