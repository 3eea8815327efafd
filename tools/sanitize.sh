#!/usr/bin/env bash
# ASan + UBSan build of fastact, and the test suite run against it.
#
#   tools/sanitize.sh            # the suite (with the "ci" property profile)
#   tools/sanitize.sh --long     # ... then the property tests' long profile too
#                                #     (FASTACT_HYPOTHESIS_EXAMPLES=N: N examples)
#   tools/sanitize.sh -- -k softmax   # extra pytest arguments after --
#
# Builds a copy of the working tree (tracked and untracked-not-ignored files)
# in a temporary directory with -fsanitize=address,undefined on top of the
# normal flags (OpenMP kept), runs pytest there with libasan preloaded (Python
# itself is not instrumented, so the ASan runtime must come first), and counts
# the reports in the sanitizers' logs.  Exits 1 on any report or failed test.
# Leak detection is off: CPython keeps its allocations until exit, which
# LeakSanitizer would report; tests/test_memory.py's RSS check covers leaks.
# Needs gcc (or clang) with the sanitizer runtimes; a few minutes on 2 cores.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
long=0
extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --long) long=1 ;;
        --) shift; extra=("$@"); break ;;
        *) echo "usage: $0 [--long] [-- pytest args]" >&2; exit 2 ;;
    esac
    shift
done

python=${PYTHON:-python}
cc=${CC:-gcc}
libasan="$($cc -print-file-name=libasan.so)"
if [ ! -e "$libasan" ]; then
    echo "sanitize.sh: $cc has no libasan.so (install the ASan runtime, e.g. libasan8)" >&2
    exit 2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/fastact-sanitize.XXXXXX")"
logs="$work/logs"
mkdir -p "$logs"
echo "sanitize.sh: building in $work"
(cd "$root" && git ls-files --cached --others --exclude-standard -z \
    | xargs -0 -I{} cp --parents {} "$work/")

# The flags ride on CC, so that setup.py's probes (OpenMP's is linked) and the
# final link see them too.
san="-fsanitize=address,undefined -fno-omit-frame-pointer -g"
(cd "$work" && CC="$cc $san" "$python" setup.py build_ext --inplace \
    > "$logs/build.log" 2>&1) || {
    tail -30 "$logs/build.log"; echo "sanitize.sh: build failed" >&2; exit 1; }
# The kernels of this build really are instrumented, and OpenMP is kept.
nm -D "$work"/fastact/_kernels*.so | grep __asan_ > /dev/null || {
    echo "sanitize.sh: the extension has no ASan instrumentation" >&2; exit 1; }
grep -Eq "^fastact: .*-fopenmp" "$logs/build.log" || {
    echo "sanitize.sh: the build lost OpenMP (see $logs/build.log)" >&2; exit 1; }

export LD_PRELOAD="$libasan"
export ASAN_OPTIONS="detect_leaks=0:log_path=$logs/asan:print_summary=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$logs/ubsan:report_error_type=1"
export PYTHONPATH="$work${PYTHONPATH:+:$PYTHONPATH}"
# The SIMD check reads the instruction stream, which instrumentation changes.
deselect=(--deselect tests/test_tooling.py::test_every_kernel_is_vectorized)

status=0
(cd "$work" && "$python" -m pytest -q -p no:cacheprovider "${deselect[@]}" "${extra[@]}" \
    tests) 2>&1 | tee "$logs/pytest.log" | tail -5 || true
grep -Eq "[0-9]+ passed" "$logs/pytest.log" && ! grep -Eq "[0-9]+ (failed|error)" \
    "$logs/pytest.log" || status=1
if [ "$long" = 1 ]; then
    (cd "$work" && FASTACT_HYPOTHESIS=long "$python" -m pytest -q -p no:cacheprovider \
        --hypothesis-show-statistics tests/test_properties.py -k "not long" "${extra[@]}") \
        2>&1 | tee "$logs/properties.log" | grep -E "passing examples|passed|failed" || true
    grep -Eq "[0-9]+ passed" "$logs/properties.log" && ! grep -Eq "[0-9]+ (failed|error)" \
        "$logs/properties.log" || status=1
fi

asan=$(cat "$logs"/asan.* 2>/dev/null | grep -c "ERROR: AddressSanitizer" || true)
ubsan=$(cat "$logs"/ubsan.* "$logs"/asan.* 2>/dev/null | grep -c "runtime error:" || true)
echo "sanitize.sh: AddressSanitizer reports: $asan, UndefinedBehaviorSanitizer reports: $ubsan"
echo "sanitize.sh: logs in $logs"
if [ "$asan" != 0 ] || [ "$ubsan" != 0 ]; then
    cat "$logs"/asan.* "$logs"/ubsan.* 2>/dev/null | grep -E -A12 "ERROR: Address|runtime error" \
        | head -60
    status=1
fi
exit $status
