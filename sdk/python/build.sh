#!/usr/bin/env bash
# Builds a Python call script into a huashu component with componentize-py, against the
# `dialogue` world in wit/.
#
#   sdk/python/build.sh SCRIPT_DIR OUT.wasm [ENTRY_MODULE]
#
# SCRIPT_DIR holds the entry module (default `app`, i.e. app.py, which must define
# `Script = huashu_sdk.export(MyDialogue)`) and any modules it imports; this SDK is added to
# the path. componentize-py comes from the venv `./scripts/setup` creates under
# target/toolchains/python (or set COMPONENTIZE_PY).
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 SCRIPT_DIR OUT.wasm [ENTRY_MODULE]" >&2
  exit 2
fi
script_dir=$1 out=$2 entry=${3:-app}
sdk=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$sdk/../.." && pwd)
componentize_py=${COMPONENTIZE_PY:-$root/target/toolchains/python/bin/componentize-py}

if [[ ! -x $componentize_py ]]; then
  echo "componentize-py not found at $componentize_py: run ./scripts/setup" >&2
  exit 127
fi
mkdir -p "$(dirname "$out")"
# componentize-py's interpreter writes __pycache__ beside the sources it imports: build from
# a private copy, so the source tree stays clean and concurrent builds never read each
# other's half-written .pyc files.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/script" "$work/sdk"
cp -R "$script_dir/." "$work/script/"
cp -R "$sdk/huashu_sdk" "$work/sdk/"
# -p order: the script's own modules first, then the SDK.
"$componentize_py" --quiet -d "$root/wit" -w dialogue componentize "$entry" \
  -p "$work/script" -p "$work/sdk" -o "$out"
