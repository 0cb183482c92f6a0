#!/usr/bin/env bash
# san: once
# make install (issue #9): into a DESTDIR staging tree and into a plain
# PREFIX, every file where it belongs (binary, librstscope.a, the shared
# library with its soname links, the headers, rstscope.pc, the man page,
# bash completion); a C program built with `pkg-config --cflags --libs
# rstscope` against the installed library (shared, then static) analyses a
# capture through the public API and counts what analyze counts; the
# installed binary runs; the man page covers every command, every option of
# every command's --help, every record field and every reset cause code,
# and renders without warnings; the completion completes; uninstall removes
# everything.
set -u
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
TOP=${TOP:-.}
BUILD=${BUILD:-build}
RSTSCOPE=${RSTSCOPE:-$TOP/$BUILD/rstscope}
cd "$TOP" || fail "cd $TOP"

command -v pkg-config >/dev/null || { echo "pkg-config not installed (Debian: apt-get install pkgconf): install test skipped"; exit 77; }
# A make started by this test must not inherit the jobserver of `make check`.
mk() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make --no-print-directory BUILD="$BUILD" "$@"; }

mk install DESTDIR="$d/stage" PREFIX=/usr/local >"$d/install.log" 2>&1 ||
    { tail -20 "$d/install.log"; fail "make install DESTDIR"; }
root="$d/stage/usr/local"
version=$(sed -n 's/^#define RS_VERSION "\(.*\)"/\1/p' include/rstscope/common.h)
major=${version%%.*}
for f in bin/rstscope lib/librstscope.a "lib/librstscope.so.$version" "lib/librstscope.so.$major" \
    lib/librstscope.so lib/pkgconfig/rstscope.pc include/rstscope/engine.h include/rstscope/capture.h \
    include/rstscope/report.h include/rstscope/ipfix.h share/man/man1/rstscope.1 \
    share/bash-completion/completions/rstscope; do
    [ -e "$root/$f" ] || fail "not installed: $f"
done
for h in include/rstscope/*.h; do
    cmp -s "$h" "$root/include/rstscope/$(basename "$h")" || fail "header differs: $h"
done
[ -x "$root/bin/rstscope" ] || fail "binary not executable"
[ "$(readlink "$root/lib/librstscope.so")" = "librstscope.so.$major" ] || fail "librstscope.so link"
soname=$(objdump -p "$root/lib/librstscope.so.$version" 2>/dev/null | awk '$1 == "SONAME" {print $2}')
[ -z "$soname" ] || [ "$soname" = "librstscope.so.$major" ] || fail "soname $soname"
grep -q "^prefix=/usr/local$" "$root/lib/pkgconfig/rstscope.pc" || fail "rstscope.pc prefix"
grep -q "^Version: $version$" "$root/lib/pkgconfig/rstscope.pc" || fail "rstscope.pc version"
"$root/bin/rstscope" --version | grep -q "rstscope $version" || fail "installed binary --version"

# A program against the installed library, found through pkg-config.
cat >"$d/count.c" <<'EOF'
/* Counts a capture's sessions by end reason through librstscope's public API. */
#include <stdio.h>

#include <rstscope/capture.h>
#include <rstscope/engine.h>
#include <rstscope/record.h>

static unsigned long by_end[RS_END__COUNT];

static void
on_record(const struct rs_record *r, void *user)
{
    (void)user;
    by_end[r->end_reason]++;
}

int
main(int argc, char **argv)
{
    struct rs_error err = {0};
    struct rs_capture *cap = rs_capture_open((const char *const *)(argv + 1), (size_t)(argc - 1),
                                             NULL, &err);
    if (!cap) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    struct rs_engine_config cfg;
    rs_engine_config_default(&cfg, RS_PROFILE_PANOS);
    struct rs_engine *e = rs_engine_new(&cfg, on_record, NULL, &err);
    if (!e) {
        fprintf(stderr, "%s\n", err.msg);
        return 4;
    }
    struct rs_packet pkt;
    while (rs_capture_next(cap, &pkt) == RS_CAPTURE_PACKET)
        rs_engine_packet(e, &pkt);
    rs_engine_finish(e);
    for (int i = 0; i < RS_END__COUNT; i++)
        if (by_end[i])
            printf("%s %lu\n", rs_end_reason_name((enum rs_end_reason)i), by_end[i]);
    rs_engine_free(e);
    rs_capture_close(cap);
    return 0;
}
EOF
capture="$TOP/examples/loopback-resets.pcap"
"$RSTSCOPE" analyze -q --format=jsonl "$capture" |
    python3 -c 'import collections, json, sys
c = collections.Counter(json.loads(l)["end_reason"] for l in sys.stdin)
print("\n".join(f"{k} {v}" for k, v in sorted(c.items())))' >"$d/want.txt" || fail "analyze"

export PKG_CONFIG_PATH="$root/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$d/stage"
flags=$(pkg-config --cflags --libs rstscope | xargs) || fail "pkg-config --cflags --libs rstscope"
echo "pkg-config: $flags"
[ "$flags" = "-I$root/include -L$root/lib -lrstscope" ] || fail "pkg-config flags: $flags"
cc -std=c11 -Wall -Wextra -Werror -o "$d/count" "$d/count.c" $flags || fail "cc (shared)"
LD_LIBRARY_PATH="$root/lib" "$d/count" "$capture" | sort >"$d/got.txt" || fail "count (shared)"
diff -u "$d/want.txt" "$d/got.txt" || fail "the program's counts differ from analyze's"
LD_LIBRARY_PATH="$root/lib" ldd "$d/count" | grep -q "$root/lib/librstscope.so.$major" ||
    fail "not linked against the installed shared library"
# static: the archive and its private dependencies (pkg-config --static)
sflags=$(pkg-config --cflags --libs --static rstscope) || fail "pkg-config --static"
[[ $sflags == *-lpcap* ]] || fail "pkg-config --static lacks -lpcap: $sflags"
cc -std=c11 -Wall -Wextra -Werror -o "$d/count-static" "$d/count.c" \
    $(pkg-config --cflags rstscope) "$root/lib/librstscope.a" \
    $(pkg-config --libs-only-l --static rstscope | sed 's/-lrstscope//') || fail "cc (static archive)"
ldd "$d/count-static" | grep -q librstscope && fail "static program uses the shared library"
"$d/count-static" "$capture" | sort | diff -u "$d/want.txt" - || fail "count (static)"
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

# A plain PREFIX, no DESTDIR; then uninstall leaves nothing.
mk install PREFIX="$d/prefix" >"$d/install2.log" 2>&1 || { tail -20 "$d/install2.log"; fail "make install PREFIX"; }
PKG_CONFIG_PATH="$d/prefix/lib/pkgconfig" pkg-config --libs rstscope | grep -q -- "-L$d/prefix/lib" ||
    fail "pkg-config with PREFIX"
mk uninstall PREFIX="$d/prefix" >/dev/null 2>&1 || fail "make uninstall"
left=$(find "$d/prefix" -type f -o -type l)
[ -z "$left" ] || fail "uninstall left: $left"

# The man page: renders cleanly, and covers every command, option, field, cause.
man1="$root/share/man/man1/rstscope.1"
if command -v groff >/dev/null; then
    groff -t -man -Tutf8 -ww -z "$man1" 2>"$d/groff.err"
    [ -s "$d/groff.err" ] && { cat "$d/groff.err"; fail "groff warnings"; }
fi
python3 - "$man1" "$RSTSCOPE" "$capture" <<'PY' || fail "the man page misses something"
import json, re, subprocess, sys
man = open(sys.argv[1]).read().replace("\\-", "-").replace("\\e", "\\")
exe = sys.argv[2]
missing = []
top = subprocess.run([exe, "--help"], capture_output=True, text=True).stdout
cmds = re.findall(r"^  ([a-z][a-z-]+) ", top.split("commands:")[1], re.M)
if len(cmds) < 7:
    missing.append(f"only {len(cmds)} commands in rstscope --help")
for c in cmds:
    if not re.search(r"^\.SS \"rstscope " + re.escape(c) + r"\b", man, re.M):
        missing.append(f"command {c}")
    h = subprocess.run([exe, c, "--help"], capture_output=True, text=True).stdout
    for o in sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", h))):
        if o not in man:
            missing.append(f"{c} {o}")
rec = json.loads(subprocess.run([exe, "analyze", "-q", "--format=jsonl", sys.argv[3]],
                                capture_output=True, text=True).stdout.splitlines()[0])
for k in rec:
    if not re.search(r"^\.(B|BR|TP\n\.B)\b.*\b" + k + r"\b", man, re.M):
        missing.append(f"field {k}")
src = open("src/verdict/summary.c").read()
codes = re.findall(r'^\s*\{"([a-z_]+)", "', src, re.M)
if len(codes) < 20:
    missing.append(f"only {len(codes)} cause codes found in src/verdict/summary.c")
for code in codes:
    if not re.search(r"^\.B " + code + "$", man, re.M):
        missing.append(f"cause {code}")
for m in missing:
    print("man page lacks:", m)
sys.exit(1 if missing else 0)
PY

# The completion: loads and completes commands, options and values.
bash -c '
    source "$1"
    t() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _rstscope; echo "${COMPREPLY[*]}"; }
    PATH=$(dirname "$2"):$PATH
    [[ $(t rstscope re) == report ]] || { echo "command: $(t rstscope re)"; exit 1; }
    [[ $(t rstscope analyze --ipfix-t) == --ipfix-transport= ]] || { echo "option: $(t rstscope analyze --ipfix-t)"; exit 1; }
    [[ $(t rstscope report --format = ) == *jsonl* ]] && { echo "report has no --format"; exit 1; }
    [[ $(t rstscope analyze --format = j) == jsonl ]] || { echo "value: $(t rstscope analyze --format = j)"; exit 1; }
    [[ $(t rstscope lab client-rst-v) == client-rst-v6 ]] || { echo "scenario: $(t rstscope lab client-rst-v)"; exit 1; }
' _ "$root/share/bash-completion/completions/rstscope" "$root/bin/rstscope" || fail "completion"
echo "ok"
