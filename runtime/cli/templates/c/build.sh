#!/usr/bin/env bash
# Builds this script into a huashu component:
#
#   ./build.sh [OUT.wasm]          (default: target/{{name}}.wasm)
#
# `huashu test .` runs it too. vendor/huashu/ holds the SDK (wit/ and sdk/c/, laid out as
# in the huashu repository), and its build script does the work: clang-22 from Debian, and
# wit-bindgen and wasm-component-ld as `./scripts/setup` installed them in a huashu
# checkout: the one in $HUASHU_HOME, by default the checkout this project was created from.
# More source files: list them after src/app.c below.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$here/target/{{name}}.wasm}
home=${HUASHU_HOME:-{{huashu_home}}}
if [[ -z $home || ! -x $home/target/toolchains/bin/wasm-component-ld ]]; then
  echo "wit-bindgen and wasm-component-ld not found${home:+ in $home/target/toolchains}: set HUASHU_HOME to a huashu checkout where ./scripts/setup ran" >&2
  exit 127
fi
# The SDK's script looks for its toolchains beside itself, in vendor/huashu/target/.
mkdir -p "$here/vendor/huashu/target"
ln -sfn "$home/target/toolchains" "$here/vendor/huashu/target/toolchains"
exec "$here/vendor/huashu/sdk/c/build.sh" "$out" "$here/src/app.c"
