#!/usr/bin/env bash
# make lint: formatting (clang-format, check only) and static checks
# (clang-tidy, config in .clang-tidy). Prints every finding, then a summary;
# exits non-zero if there is any.
#   CLANG_FORMAT, CLANG_TIDY   override the tools (default: clang-format, clang-tidy)
#   JOBS                       parallel clang-tidy runs (default: nproc)
#   tests/lint.sh FILE...      lint only these files
set -u
cd "$(dirname "$0")/.."
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
CLANG_TIDY=${CLANG_TIDY:-clang-tidy}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
CFLAGS_TIDY=(-std=c11 -D_DEFAULT_SOURCE -Iinclude -Isrc -Itests)

for tool in "$CLANG_FORMAT" "$CLANG_TIDY"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "lint: $tool not found (Debian: apt-get install clang-format clang-tidy)" >&2
        exit 2
    fi
done

if [ $# -gt 0 ]; then
    fmt_files=("$@")
    tidy_files=()
    for f in "$@"; do [[ $f == *.c ]] && tidy_files+=("$f"); done
else
    mapfile -t fmt_files < <(find src include tests/unit fuzz -name '*.[ch]' 2>/dev/null | sort)
    mapfile -t tidy_files < <(find src -mindepth 2 -name '*.c' 2>/dev/null | sort)
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== clang-format ($("$CLANG_FORMAT" --version | grep -o 'version [0-9.]*'))"
fmt_bad=0
for f in "${fmt_files[@]}"; do
    if ! "$CLANG_FORMAT" --dry-run --Werror "$f" >"$out/fmt" 2>&1; then
        fmt_bad=$((fmt_bad + 1))
        echo "$f: not formatted ($(grep -c 'warning:' "$out/fmt") places; fix: clang-format -i $f)"
    fi
done

echo "== clang-tidy ($("$CLANG_TIDY" --version | grep -o 'version [0-9.]*'))"
if [ "${#tidy_files[@]}" -gt 0 ]; then
    printf '%s\n' "${tidy_files[@]}" |
        xargs -P "$JOBS" -I{} sh -c '"$1" --quiet "$2" -- "$@" >"$0/$(echo "$2" | tr / _).tidy" 2>&1' \
            "$out" "$CLANG_TIDY" {} "${CFLAGS_TIDY[@]}"
fi
tidy_findings=0 tidy_files_bad=0
for f in "${tidy_files[@]}"; do
    r="$out/$(echo "$f" | tr / _).tidy"
    n=$(grep -cE '(warning|error):' "$r" 2>/dev/null || true)
    if [ "${n:-0}" -gt 0 ]; then
        tidy_findings=$((tidy_findings + n))
        tidy_files_bad=$((tidy_files_bad + 1))
        grep -vE '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|^Error while processing' "$r"
    fi
done

echo "== summary"
echo "clang-format: $fmt_bad of ${#fmt_files[@]} files need formatting"
echo "clang-tidy:   $tidy_findings findings in $tidy_files_bad of ${#tidy_files[@]} files"
[ "$fmt_bad" -eq 0 ] && [ "$tidy_findings" -eq 0 ]
