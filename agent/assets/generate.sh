#!/bin/sh
# Regenerates the canned known-good utterance (issue #4). Needs espeak-ng and sox
# (apt-get install -y espeak-ng sox). The output is committed; the agent never runs this.
# After regenerating, update sha256 and duration_ms in utterance.json (the simulator's fingerprint
# and the asset test check them).
set -eu
cd "$(dirname "$0")"
TEXT="what is the weather today"
tmp=$(mktemp --suffix .wav)
espeak-ng -v en-us -s 150 -w "$tmp" "$TEXT"
sox "$tmp" -r 16000 -c 1 -b 16 utterance.wav norm -3
rm -f "$tmp"
sha256sum utterance.wav
soxi -D utterance.wav
