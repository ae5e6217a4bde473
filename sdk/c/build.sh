#!/usr/bin/env bash
# Builds a C call script into a huashu component:
#
#   sdk/c/build.sh OUT.wasm SOURCE.c [MORE.c …] [-- EXTRA_CLANG_FLAGS…]
#
# The toolchain, all from Debian and crates.io (`./scripts/setup` installs it):
# - clang-22 and lld-22 (Debian bookworm-security), which know the wasm32-wasip2 target and
#   link through `wasm-component-ld`, passing it Debian's `wasm-ld`;
# - wasi-libc (Debian: a WASI preview 1 libc, /usr/include/wasm32-wasi and
#   /usr/lib/wasm32-wasi) and libclang-rt-22-dev-wasm32 (compiler-rt builtins);
# - wit-bindgen-cli 0.61.1 (`wit-bindgen c`: dialogue.h/.c and the component type object
#   from wit/) and wasm-component-ld 0.5.31 (links, then wraps the core module as a
#   component, adapting any preview 1 imports to WASI 0.2 with the adapter it embeds),
#   both `cargo install`ed into target/toolchains/bin.
#
# Debian's libc has no wasm32-wasip2 directory, so clang gets a sysroot of two links,
# target/toolchains/wasi-sysroot/{include,lib}/wasm32-wasip2 -> the preview 1 libc. A script
# that uses only memory and strings (like the SDK) then imports no WASI at all; one that
# uses stdio or the clock gets preview 1 calls, which the adapter turns into WASI 0.2.
# Override with CLANG=…, WIT_BINDGEN=…, WASI_SYSROOT=… (e.g. a wasi-sdk sysroot).
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 OUT.wasm SOURCE.c [MORE.c …] [-- EXTRA_CLANG_FLAGS…]" >&2
  exit 2
fi
out=$1
shift
sources=() extra=()
while [[ $# -gt 0 && $1 != -- ]]; do sources+=("$1"); shift; done
[[ $# -gt 0 ]] && shift && extra=("$@")

sdk=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$sdk/../.." && pwd)
tools=$root/target/toolchains
clang=${CLANG:-clang-22}
wit_bindgen=${WIT_BINDGEN:-$tools/bin/wit-bindgen}
sysroot=${WASI_SYSROOT:-$tools/wasi-sysroot}

missing() {
  echo "$1 not found: run ./scripts/setup" >&2
  exit 127
}
command -v "$clang" >/dev/null || missing "$clang"
[[ -x $wit_bindgen ]] || missing "$wit_bindgen"
[[ -x $tools/bin/wasm-component-ld ]] || missing "$tools/bin/wasm-component-ld"
[[ -f /usr/lib/wasm32-wasi/libc.a || -n ${WASI_SYSROOT:-} ]] || missing "wasi-libc (Debian package)"

if [[ -z ${WASI_SYSROOT:-} && ! -e $sysroot/lib/wasm32-wasip2 ]]; then
  mkdir -p "$sysroot/include" "$sysroot/lib"
  ln -sfn /usr/include/wasm32-wasi "$sysroot/include/wasm32-wasip2"
  ln -sfn /usr/lib/wasm32-wasi "$sysroot/lib/wasm32-wasip2"
fi

gen=$(mktemp -d)
trap 'rm -rf "$gen"' EXIT
if ! generated=$("$wit_bindgen" c "$root/wit" --world dialogue --out-dir "$gen" 2>&1); then
  echo "$generated" >&2
  exit 1
fi

mkdir -p "$(dirname "$out")"
# clang finds wasm-component-ld on PATH; -mexec-model=reactor: a library the host calls into,
# not a program with main().
PATH=$tools/bin:$PATH "$clang" --target=wasm32-wasip2 --sysroot="$sysroot" \
  -mexec-model=reactor -O2 -Wall -Wextra -Werror -std=c11 \
  -I"$gen" -I"$sdk" "${sources[@]}" "$sdk"/actions.c "$sdk"/dispatch.c "$sdk"/http.c "$sdk"/intent.c \
  "$gen/dialogue.c" "$gen/dialogue_component_type.o" ${extra[@]+"${extra[@]}"} -o "$out"
