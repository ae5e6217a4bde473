#!/usr/bin/env bash
# Builds this script into a huashu component:
#
#   ./build.sh [OUT.wasm]          (default: target/{{name}}.wasm)
#
# `huashu test .` runs it too. vendor/huashu/ holds the SDK (wit/ and sdk/python/, laid
# out as in the huashu repository), and its build script does the work. The toolchain,
# componentize-py, is the one `./scripts/setup` installed in a huashu checkout: the one in
# $HUASHU_HOME, by default the checkout this project was created from.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$here/target/{{name}}.wasm}
home=${HUASHU_HOME:-{{huashu_home}}}
if [[ -z $home || ! -x $home/target/toolchains/python/bin/componentize-py ]]; then
  echo "componentize-py not found${home:+ in $home/target/toolchains}: set HUASHU_HOME to a huashu checkout where ./scripts/setup ran" >&2
  exit 127
fi
# The SDK's script looks for its toolchains beside itself, in vendor/huashu/target/.
mkdir -p "$here/vendor/huashu/target"
ln -sfn "$home/target/toolchains" "$here/vendor/huashu/target/toolchains"
exec "$here/vendor/huashu/sdk/python/build.sh" "$here/src" "$out"
