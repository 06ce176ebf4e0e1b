#!/usr/bin/env bash
# Test data from registry packages, for `make test` (not needed by `make demo`). Idempotent.
#
# data/librivox/: five LibriVox clips (one reader, 16 kHz mono WAV, a transcript each) that the
# pocketsphinx 5.1.1 source distribution ships in test/data/librivox/. The sdist comes from PyPI
# with pip's ordinary `pip download` (its metadata step takes ~3 min once); the clips are kept in
# ~/.cache/insideout/ so later clones on this machine copy them instead.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=5.1.1
OUT=data/librivox
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/insideout/pocketsphinx-$VERSION-librivox"
if [ -f "$OUT/fileids" ]; then exit 0; fi
if [ ! -f "$CACHE/fileids" ]; then
  echo "[test-data] fetching the pocketsphinx $VERSION sdist for its LibriVox test clips (~3 min once)"
  tmp=$(mktemp -d /tmp/insideout-testdata-XXXX)
  trap 'rm -rf "$tmp"' EXIT
  python -m pip download -q --no-deps --no-binary :all: "pocketsphinx==$VERSION" -d "$tmp" 2>&1 \
    | grep -v "^WARNING: Location '" || true
  tar -xzf "$tmp/pocketsphinx-$VERSION.tar.gz" -C "$tmp" "pocketsphinx-$VERSION/test/data/librivox" \
    "pocketsphinx-$VERSION/LICENSE"
  mkdir -p "$(dirname "$CACHE")"
  rm -rf "$CACHE.partial"
  mkdir -p "$CACHE.partial"
  cp "$tmp/pocketsphinx-$VERSION/test/data/librivox/"{fileids,*.wav,*.txt} "$CACHE.partial/"
  cp "$tmp/pocketsphinx-$VERSION/LICENSE" "$CACHE.partial/LICENSE.pocketsphinx"
  mv "$CACHE.partial" "$CACHE"
fi
mkdir -p data
rm -rf "$OUT.partial"
cp -r "$CACHE" "$OUT.partial"
mv "$OUT.partial" "$OUT"
echo "[test-data] $OUT: $(wc -l < "$OUT/fileids") LibriVox clips"
