#!/usr/bin/env bash
# Configures and builds the hardening tree (tests/hardening/hardening.cmake):
# clang, AddressSanitizer + UndefinedBehaviorSanitizer (LARIAT_SANITIZE) and
# libFuzzer's instrumentation (LARIAT_FUZZ); only the targets the hardening
# tests run. Usage: build.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
dir=$2
mkdir -p "$dir"
# Warnings are the main build's job (gcc, -Werror); this tree checks behaviour.
CC=clang cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLARIAT_SANITIZE=ON -DLARIAT_FUZZ=ON \
    -DLARIAT_CI_HARDENING=OFF -DLARIAT_WERROR=OFF >"$dir/configure.log" 2>&1 || {
    cat "$dir/configure.log"
    exit 1
}
cmake --build "$dir" -j "$(nproc)" --target lariat_tests fuzz_csv fuzz_libsvm fuzz_config
