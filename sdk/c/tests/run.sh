#!/usr/bin/env bash
# Runs the C SDK's unit tests natively: generates the contract's bindings with
# `wit-bindgen c` (as build.sh does), compiles the SDK and the tests for this machine, and
# runs them. The host's imports (log, kv) are never called by the tests; stubs.c stands in
# for them so that the generated code links.
#
#   sdk/c/tests/run.sh
set -euo pipefail
tests=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
sdk=$(cd "$tests/.." && pwd)
root=$(cd "$sdk/../.." && pwd)
wit_bindgen=${WIT_BINDGEN:-$root/target/toolchains/bin/wit-bindgen}
cc=${CC:-cc}
[[ -x $wit_bindgen ]] || { echo "$wit_bindgen not found: run ./scripts/setup" >&2; exit 127; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! generated=$("$wit_bindgen" c "$root/wit" --world dialogue --out-dir "$work" 2>&1); then
  echo "$generated" >&2
  exit 1
fi
# One program per *_test.c, each linked with the whole SDK.
for test in "$tests"/*_test.c; do
  name=$(basename "$test" .c)
  "$cc" -std=c11 -Wall -Wextra -Werror -Wno-unknown-attributes -Wno-attributes -I"$work" -I"$sdk" \
    "$test" "$tests"/stubs.c "$sdk"/actions.c "$sdk"/dispatch.c "$sdk"/http.c \
    "$sdk"/intent.c "$work"/dialogue.c -lm -o "$work/$name"
  "$work/$name"
done
