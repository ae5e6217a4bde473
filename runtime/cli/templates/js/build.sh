#!/usr/bin/env bash
# Builds this script into a huashu component:
#
#   ./build.sh [OUT.wasm]          (default: target/{{name}}.wasm)
#
# `huashu test .` runs it too. vendor/huashu/ holds the SDK (wit/ and sdk/js/, laid out as
# in the huashu repository), and its build script does the work with rolldown and
# componentize-js: from vendor/huashu/sdk/js/node_modules if you ran `npm ci` there,
# otherwise from a huashu checkout where `./scripts/setup` installed them: the one in
# $HUASHU_HOME, by default the checkout this project was created from.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$here/target/{{name}}.wasm}
modules=$here/vendor/huashu/sdk/js/node_modules
if [[ ! -d $modules || -L $modules ]]; then
  home=${HUASHU_HOME:-{{huashu_home}}}
  if [[ -z $home || ! -d $home/sdk/js/node_modules/@bytecodealliance/componentize-js ]]; then
    echo "componentize-js not found${home:+ in $home/sdk/js/node_modules}: set HUASHU_HOME to a huashu checkout where ./scripts/setup ran, or run \`npm ci\` in vendor/huashu/sdk/js" >&2
    exit 127
  fi
  ln -sfn "$home/sdk/js/node_modules" "$modules"
fi
exec node "$here/vendor/huashu/sdk/js/build.mjs" "$here/src/app.js" "$out"
