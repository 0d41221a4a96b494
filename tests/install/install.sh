#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, then the example built against
# that prefix alone, three ways: with CMake (find_package(lariat), at 2 ranks
# in one group), with pkg-config and mpicc (examples/Makefile, at 2 ranks in
# two groups of one), and with pkg-config and a plain cc (lariat.pc brings
# MPI; one rank, no launcher). Each run must report converged certificates
# and coefficients near the true ones, and group 0 the same model in all
# three (the example's data and folds do not depend on the rank count).
# Checked on the way: the installed files, the library's SONAME and that it
# exports exactly the functions lariat.h declares, and that `man -l` renders
# the installed page.
#
# usage: install.sh CMAKE BUILD_DIR [static]
#   static: configure and build a second tree with -DBUILD_SHARED_LIBS=OFF
#   (only the library and the program) and install that one.
set -euo pipefail
: "${MPIEXEC:?set by ctest}" "${LARIAT_SOURCE_DIR:?set by ctest}"
cmake=$1
build=$2
mode=${3:-shared}

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

fail() {
    echo "FAIL ($mode): $*" >&2
    exit 1
}

if [ "$mode" = static ]; then
    build="$WORK/build-static"
    "$cmake" -S "$LARIAT_SOURCE_DIR" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_SHARED_LIBS=OFF \
        -DBUILD_TESTING=OFF > configure.log 2>&1 || fail "configure of the static tree: $(tail -20 configure.log)"
    "$cmake" --build "$build" -j 2 --target lariat_library lariat > build.log 2>&1 ||
        fail "build of the static tree: $(tail -20 build.log)"
fi

prefix="$WORK/prefix"
"$cmake" --install "$build" --prefix "$prefix" > install.log 2>&1 || fail "cmake --install: $(tail -20 install.log)"

# The tree (the library folder is wherever lariat.pc went: lib, lib64, ...).
pc=$(find "$prefix" -name lariat.pc)
[ -n "$pc" ] || fail "no lariat.pc installed"
libdir=$(dirname "$(dirname "$pc")")
version=$(sed -n 's/^#define LARIAT_VERSION "\(.*\)"/\1/p' "$LARIAT_SOURCE_DIR/include/lariat.h")
docdir="$prefix/share/doc/lariat"
for f in bin/lariat include/lariat.h share/man/man1/lariat.1 share/doc/lariat/examples/embed.c \
    share/doc/lariat/examples/CMakeLists.txt share/doc/lariat/examples/Makefile; do
    [ -f "$prefix/$f" ] || fail "$f is not installed"
done
for f in lariatConfig.cmake lariatConfigVersion.cmake lariatTargets.cmake; do
    [ -f "$libdir/cmake/lariat/$f" ] || fail "$libdir/cmake/lariat/$f is not installed"
done
"$prefix/bin/lariat" --version > version.txt 2>&1 || fail "installed lariat --version: $(cat version.txt)"
[ "$(head -1 version.txt)" = "lariat $version" ] || fail "installed lariat --version says '$(head -1 version.txt)'"

if [ "$mode" = static ]; then
    [ -f "$libdir/liblariat.a" ] || fail "no liblariat.a"
    [ ! -e "$libdir/liblariat.so" ] || fail "a static build installed liblariat.so"
else
    so="$libdir/liblariat.so.$version"
    [ -f "$so" ] || fail "no liblariat.so.$version"
    # The ABI's number: major.minor while the major version is 0, then major.
    abi=${version%%.*}
    [ "$abi" != 0 ] || abi=${version%.*}
    soname=$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
    [ "$soname" = "liblariat.so.$abi" ] || fail "SONAME is '$soname', expected liblariat.so.$abi"
    [ "$(readlink "$libdir/liblariat.so")" = "$soname" ] || fail "liblariat.so does not point to $soname"
    # Exactly the functions lariat.h declares with LARIAT_API are exported.
    nm -D --defined-only "$so" | awk '{ print $NF }' | sort > exported.txt
    sed -n 's/^LARIAT_API [^(]*[ *]\(lariat_[a-z0-9_]*\)(.*/\1/p' "$prefix/include/lariat.h" | sort > declared.txt
    [ -s declared.txt ] || fail "no LARIAT_API declarations found in lariat.h"
    diff -u declared.txt exported.txt > symbols.diff ||
        fail "liblariat.so exports other symbols than lariat.h declares (+ exported, - missing): $(cat symbols.diff)"
fi

MANWIDTH=80 man --warnings -l "$prefix/share/man/man1/lariat.1" > man.txt 2> man.err || fail "man -l: $(cat man.err)"
[ ! -s man.err ] || fail "man -l warns about the installed page: $(head -5 man.err)"
grep -q '^LARIAT(1)' man.txt || fail "man -l rendered no LARIAT(1) page"

# The example, built from the installed sources only.
pkg_config="pkg-config"
[ "$mode" = static ] && pkg_config="pkg-config --static"
"$cmake" -S "$docdir/examples" -B ex-cmake -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
    > ex-cmake.log 2>&1 || fail "CMake configure of the example: $(tail -20 ex-cmake.log)"
grep -q "^lariat_DIR:PATH=$libdir/cmake/lariat$" ex-cmake/CMakeCache.txt ||
    fail "find_package(lariat) did not use the prefix: $(grep lariat_DIR ex-cmake/CMakeCache.txt)"
"$cmake" --build ex-cmake >> ex-cmake.log 2>&1 || fail "CMake build of the example: $(tail -20 ex-cmake.log)"
for cc in mpicc cc; do
    cp -r "$docdir/examples" "ex-$cc"
    PKG_CONFIG_PATH="$libdir/pkgconfig" make -C "ex-$cc" CC="$cc" PKG_CONFIG="$pkg_config" > "ex-$cc.log" 2>&1 ||
        fail "pkg-config build of the example with $cc: $(tail -20 "ex-$cc.log")"
done
if [ "$mode" != static ]; then
    for exe in ex-cmake/lariat_embed ex-mpicc/lariat_embed ex-cc/lariat_embed; do
        ldd "$exe" > ldd.txt
        grep -q "liblariat\.so.* => $libdir/" ldd.txt || fail "$exe does not load liblariat from $libdir: $(grep lariat ldd.txt)"
    done
fi

export OMPI_MCA_rmaps_base_oversubscribe=1 OPENBLAS_NUM_THREADS=1
timeout 60 "$MPIEXEC" -n 2 ex-cmake/lariat_embed > run-cmake.txt 2> run-cmake.err || fail "mpirun -n 2 (CMake build): $(cat run-cmake.err)"
timeout 60 "$MPIEXEC" -n 2 ex-mpicc/lariat_embed 2 > run-mpicc.txt 2> run-mpicc.err || fail "mpirun -n 2, 2 groups (pkg-config build): $(cat run-mpicc.err)"
timeout 60 ex-cc/lariat_embed > run-cc.txt 2> run-cc.err || fail "one rank (pkg-config build with cc): $(cat run-cc.err)"

# check_run FILE GROUPS: every group converged along its path and at the
# selected model, to tol, and found coefficients within 0.2 of the truth.
check_run() {
    local file=$1 groups=$2
    [ "$(grep -c '^group ' "$file")" -eq "$groups" ] || fail "$file: expected $groups groups: $(cat "$file")"
    awk -v groups="$groups" '
        # "  path certificate: largest gap/N0 G (tol T), C of N converged"
        /path certificate:/ { n_path++; if ($5 + 0 > 1e-7 || $8 != $10) bad = bad "\n" $0 }
        # "  model certificate: gap G, N0 N, gap/N0 R (tol T): converged"
        /model certificate:/ { n_model++; if ($8 + 0 > 1e-7 || $NF != "converged") bad = bad "\n" $0 }
        # "  model at lambda_1se: K nonzero, intercept B0, max |b - b_true| E"
        /model at lambda_1se:/ { n_fit++; if ($NF + 0 > 0.2 || $4 + 0 < 5) bad = bad "\n" $0 }
        END { if (n_path != groups || n_model != groups || n_fit != groups) bad = bad "\nmissing lines"
              if (bad != "") { print substr(bad, 2); exit 1 } }' "$file" > check.txt ||
        fail "$file: $(cat check.txt)
$(cat "$file")"
}
check_run run-cmake.txt 1
check_run run-mpicc.txt 2
check_run run-cc.txt 1
# Group 0's problem at 2 ranks, at 1 rank beside group 1, and alone.
for f in run-mpicc.txt run-cc.txt; do
    for key in '  cv:' '  model at lambda_1se:'; do
        a=$(grep -m1 "^$key" run-cmake.txt)
        b=$(grep -m1 "^$key" "$f")
        [ "$a" = "$b" ] || fail "group 0 differs between run-cmake.txt and $f: '$a' against '$b'"
    done
done
echo "install ($mode): ok"
cat run-mpicc.txt
