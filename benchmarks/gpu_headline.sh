#!/usr/bin/env bash
# The paper-profile Task-1 headline (Fig 1c, cnn-deep) on a GPU machine with JAX and no TensorFlow.
#
# Run from the repository root on the GPU machine, with the wheelhouse .whl/ beside it (git-excluded;
# see benchmarks/gpu/README.md for how it is built): keras 3.15.1, namex, optree, biopython (cp312) and
# .whl/py/pyjaspar (pyjaspar 4.0.0 holding only its JASPAR2016 database, which Task 1's simulation reads).
# seqlib runs from .whl/py/seqlib when there (`git archive HEAD seqlib`: a committed snapshot, so edits in
# progress in the checkout do not travel into the benchmark), else from the working tree (PYTHONPATH).
#
#   1. probe: python, jax devices, keras backend; per-step time of cnn-deep eager vs jit (the runner
#      compiles with jit_compile=False, which on the JAX backend means op-by-op eager execution);
#   2. time-to-headline: `seqlib run --task task1 --model cnn-deep --activation relu exponential
#      --trials 3 --epochs 100 --patience 20` from an empty results folder;
#   3. with the time left: trials 3-9 of relu/exponential and trials 0-2 of the other five activations;
#   4. packs every finished run under $OUT (json files and first-layer weights, conv1.npz, of all runs in
#      meta.tar.gz; whole run folders,
#      model.keras included, in runs_N.tar.gz chunks of about 12 MiB at most, 5 at most).
#
# GPU_BUDGET_S (default 520) is when everything, packing included, must be done; every step is guarded.
# GPU_JIT=auto|0|1: with auto (default), jit_compile is forced on for the JAX backend (through a
# sitecustomize import hook; seqlib's files are untouched) when the probe projects a 100-epoch eager
# run to take over 300 s.
set -u
T0=$(date +%s)
BUDGET=${GPU_BUDGET_S:-520}
OUT=${OUT:-/tmp/gpu_out}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
left() { echo $(( BUDGET - ($(date +%s) - T0) )); }
stamp() { echo "[$(date -u +%H:%M:%S) t=$(( $(date +%s) - T0 ))s] $*"; }

EXTRA=${GPU_EXTRA_ARGS:-}     # e.g. "--n-sequences 600 --epochs 1" for a dry run on a CPU
if [ -z "${GPU_SKIP_INSTALL:-}" ]; then
  stamp "install wheels"
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
fi
export PYTHONPATH=/tmp/site:$PWD/.whl/py:$PWD
export PYTHONSAFEPATH=1     # no working directory first on sys.path: .whl/py/seqlib (if any) wins
export KERAS_BACKEND=jax XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=3
export SEQLIB_RESULTS=${SEQLIB_RESULTS:-/tmp/gpu_results}
rm -rf "$SEQLIB_RESULTS"
CLI='import sys; from seqlib.cli import main; sys.exit(main())'

stamp "probe"
nvidia-smi -L
nproc
python3 - <<'EOF'
import sys, platform, jax, keras, numpy
print("python", platform.python_version(), sys.executable)
print("jax", jax.__version__, jax.devices())
print("keras", keras.__version__, keras.backend.backend(), "numpy", numpy.__version__)
import seqlib, pyjaspar
print("seqlib", seqlib.__file__, "pyjaspar", pyjaspar.__file__)
EOF
echo "seqlib commit: $(cat .whl/py/SEQLIB_COMMIT 2>/dev/null || git rev-parse --short HEAD 2>/dev/null)"

mkdir -p /tmp/jitpatch
cat > /tmp/jitpatch/sitecustomize.py <<'EOF'
# Benchmark-only: when SEQLIB_GPU_JIT=1, make keras.Model.compile use jit_compile=True (seqlib's
# training.fit passes jit_compile=False, which the JAX backend runs eagerly, op by op).
import os
import sys

if os.environ.get("SEQLIB_GPU_JIT") == "1":
    import importlib.abc
    import importlib.machinery

    class _JitHook(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name != "seqlib.training":
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            if spec is None:
                return None
            run = spec.loader.exec_module

            def exec_module(module):
                run(module)
                import keras
                original = keras.Model.compile
                if getattr(original, "_gpu_jit", False):
                    return

                def compile(self, *args, **kwargs):
                    if not compile._said:
                        print(f"[pid {os.getpid()}] keras.Model.compile: jit_compile=True (benchmark hook)",
                              file=sys.stderr, flush=True)
                        compile._said = True
                    kwargs["jit_compile"] = True
                    return original(self, *args, **kwargs)

                compile._gpu_jit = True
                compile._said = False
                keras.Model.compile = compile

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, _JitHook())
EOF

cat > /tmp/jitpatch/probe_steps.py <<'EOF'
"""Per-step time of cnn-deep (batch 100, steps_per_execution 16 as the runner): eager vs jit."""
import os, time
import numpy as np
import keras
from seqlib import activations, models  # noqa: F401
from seqlib.models import build_model

n = int(os.environ.get("PROBE_N", "1600"))
rng = np.random.default_rng(0)
X = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (n, 200))]
y = (rng.random((n, 12)) < 0.2).astype(np.float32)
steps = -(-n // 100)
for jit in (True, False):
    keras.utils.set_random_seed(0)
    m = build_model("cnn-deep", activation="exponential", input_length=200, n_outputs=12)
    m.compile(optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.BinaryCrossentropy(),
              steps_per_execution=16, jit_compile=jit)
    t = time.perf_counter(); m.fit(X, y, batch_size=100, epochs=1, verbose=0); first = time.perf_counter() - t
    t = time.perf_counter(); m.fit(X, y, batch_size=100, epochs=1, verbose=0); ms = 1000 * (time.perf_counter() - t) / steps
    print(f"probe jit_compile={jit}: first epoch {first:.2f} s, then {ms:.2f} ms/step ({steps} steps of 100)")
    with open(os.environ.get("PROBE_FILE", "/tmp/probe.txt"), "a") as f:
        f.write(f"{'jit' if jit else 'eager'} {ms:.3f}\n")
EOF

MODE=${GPU_JIT:-auto}
if [ "$MODE" = auto ]; then
  stamp "step probe (eager vs jit)"
  rm -f /tmp/probe.txt
  PROBE_FILE=/tmp/probe.txt timeout 60 python3 /tmp/jitpatch/probe_steps.py 2>&1 | grep -v "^WARNING\|^I0000\|^W0000"
  cp /tmp/probe.txt "$OUT/probe.txt" 2>/dev/null
  EAGER=$(awk '$1=="eager"{print $2}' /tmp/probe.txt 2>/dev/null)
  if [ -z "$EAGER" ]; then MODE=1; else
    PROJ=$(awk -v ms="$EAGER" 'BEGIN{printf "%d", ms*210*100/1000}')
    stamp "eager ${EAGER} ms/step: a 100-epoch run (210 steps/epoch) would train ~${PROJ} s"
    if [ "$PROJ" -gt 300 ]; then MODE=1; else MODE=0; fi
  fi
fi
if [ "$MODE" = 1 ]; then
  export SEQLIB_GPU_JIT=1 PYTHONPATH=/tmp/jitpatch:$PYTHONPATH
  stamp "training with jit_compile=True (benchmark hook)"
else
  stamp "training as the runner is (jit_compile=False: eager)"
fi
echo "jit_mode $MODE" >> "$OUT/probe.txt"

watch_runs() {  # one line a minute: finished runs so far
  while sleep 60; do stamp "finished runs: $(ls "$SEQLIB_RESULTS"/runs/*/DONE 2>/dev/null | wc -l)"; done
}
watch_runs & WATCH=$!

if [ -n "${GPU_ONLY:-}" ]; then   # a follow-up call: only these activations (trials 0-2), then pack
  stamp "ONLY start: --activation $GPU_ONLY --trials 3 (workers ${GPU_ONLY_WORKERS:-9})"
  O0=$(date +%s)
  timeout $(( $(left) - 60 )) python3 -c "$CLI" run --task task1 --model cnn-deep --activation $GPU_ONLY \
    --trials 3 --epochs 100 --patience 20 --workers ${GPU_ONLY_WORKERS:-9} --quiet $EXTRA
  RO=$?
  stamp "ONLY end: rc=$RO after $(( $(date +%s) - O0 )) s"
  echo "only '$GPU_ONLY' rc=$RO seconds=$(( $(date +%s) - O0 )) workers=${GPU_ONLY_WORKERS:-9}" >> "$OUT/probe.txt"
  GPU_MORE=0
else
stamp "HEADLINE start: seqlib run --task task1 --model cnn-deep --activation relu exponential --trials 3 --epochs 100 --patience 20 --workers 6"
H0=$(date +%s)
timeout $(( $(left) - 80 )) python3 -c "$CLI" run --task task1 --model cnn-deep --activation relu exponential \
  --trials 3 --epochs 100 --patience 20 --workers 6 --quiet $EXTRA
RC=$?
H1=$(date +%s)
stamp "HEADLINE end: rc=$RC, time-to-headline $(( H1 - H0 )) s"
echo "headline rc=$RC seconds=$(( H1 - H0 )) workers=6 jit_mode=$MODE" >> "$OUT/probe.txt"
fi

if [ "$(left)" -gt 150 ] && [ "${GPU_MORE:-1}" = 1 ]; then
  stamp "MORE start: relu/exponential trials 3-9 and sigmoid/tanh/softplus/linear/elu trials 0-2 (7 + 7 workers)"
  M0=$(date +%s)
  timeout $(( $(left) - 75 )) python3 -c "$CLI" run --task task1 --model cnn-deep --activation relu exponential \
    --first-trial 3 --trials 7 --epochs 100 --patience 20 --workers 7 --quiet $EXTRA > /tmp/more_a.txt 2>&1 &
  A=$!
  timeout $(( $(left) - 75 )) python3 -c "$CLI" run --task task1 --model cnn-deep --activation sigmoid tanh softplus \
    linear elu --trials 3 --epochs 100 --patience 20 --workers 7 --quiet $EXTRA > /tmp/more_b.txt 2>&1 &
  B=$!
  wait $A; RA=$?; wait $B; RB=$?
  grep -v "^WARNING\|^I0000\|^W0000" /tmp/more_a.txt /tmp/more_b.txt | tail -40
  stamp "MORE end: rc=$RA/$RB after $(( $(date +%s) - M0 )) s"
  echo "more rc=$RA/$RB seconds=$(( $(date +%s) - M0 )) workers=7+7" >> "$OUT/probe.txt"
fi
kill $WATCH 2>/dev/null

stamp "pack"
python3 - <<'EOF'
import io, json, os, tarfile, zipfile, zlib
from pathlib import Path

root = Path(os.environ["SEQLIB_RESULTS"]) / "runs"
out = Path(os.environ["OUT"]) if os.environ.get("OUT") else Path("/tmp/gpu_out")
done = sorted(p for p in root.glob("*") if (p / "DONE").exists()) if root.is_dir() else []
rows = []
for p in done:
    c = json.loads((p / "config.json").read_text())["config"]
    h = json.loads((p / "history.json").read_text())
    m = json.loads((p / "metrics.json").read_text())
    rows.append((c["activation"], c["trial"], h.get("stopped_epoch"), m["auroc"], h.get("train_seconds"), p.name))
rows.sort()
print("activation trial epochs test_auroc train_seconds key")
for r in rows:
    print(*r[:2], r[2], f"{r[3]:.4f}", f"{r[4]:.1f}", r[5])


def first_layer(model_path: Path) -> bytes:
    """conv1 and conv1_bn weights of a cnn-deep model.keras (the first Conv1D and BatchNormalization in
    its weights file) as .npz bytes: all that the filter analysis reads of a model."""
    import h5py
    import numpy as np
    with zipfile.ZipFile(model_path) as z, h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:
        arrays = {f"{layer}_{i}": np.asarray(f[f"layers/{layer}/vars/{i}"])
                  for layer in ("conv1d", "batch_normalization") for i in range(len(f[f"layers/{layer}/vars"]))}
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


with tarfile.open(out / "meta.tar.gz", "w:gz") as tar:       # every run's json files and first layer
    for p in done:
        for name in ("config.json", "history.json", "metrics.json", "DONE"):
            tar.add(p / name, arcname=f"runs/{p.name}/{name}")
        try:
            data = first_layer(p / "model.keras")
        except Exception as err:                                # keep packing the rest
            print(f"{p.name}: no first-layer extract ({err!r})")
            continue
        info = tarfile.TarInfo(f"runs/{p.name}/conv1.npz")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
# whole run folders in chunks of at most 12 MiB (estimated with zlib level 1), headline runs first
first = {r[5] for r in rows if r[0] in ("relu", "exponential") and r[1] < 3}
order = sorted(done, key=lambda p: (p.name not in first, p.name))
limit, chunks, size = 12 * 2**20, [[]], 0
for p in order:
    est = sum(len(zlib.compress(f.read_bytes(), 1)) for f in p.iterdir() if f.is_file()) + 4096
    if chunks[-1] and size + est > limit:
        chunks.append([]); size = 0
    chunks[-1].append(p); size += est
chunks = chunks[:5]                                           # 8 files come back: log, probe, meta + 5
for i, chunk in enumerate(chunks, 1):
    if not chunk:
        continue
    with tarfile.open(out / f"runs_{i}.tar.gz", "w:gz", compresslevel=6) as tar:
        for p in chunk:
            tar.add(p, arcname=f"runs/{p.name}")
    print(f"runs_{i}.tar.gz: {len(chunk)} runs, {(out / f'runs_{i}.tar.gz').stat().st_size / 2**20:.1f} MiB")
left_out = len(done) - sum(len(c) for c in chunks)
print(f"{len(done)} finished runs packed; {left_out} without their model (json only)")
EOF
ls -la "$OUT"
stamp "end"
