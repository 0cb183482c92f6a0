#!/usr/bin/env bash
# rstscope report (issue #9), without a browser (tests/cli/report_browser.sh
# opens the pages in Chromium): the page embeds exactly what `summary
# --format=json` prints for the same input and options; its table rows are
# analyze's failed and reset records, field for field; it fetches nothing;
# text from packets (a Host header and a RST payload with </script>, markup
# and an ampersand) and a file name with markup, quotes and U+2028 cannot
# break out of the page's script blocks or its HTML; --max-rows; errors and
# exit codes.
set -u
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
RSTSCOPE=${RSTSCOPE:-build/rstscope}
TOOLS=${TOOLS:-build/tools}
TOP=${TOP:-.}

"$TOOLS/gen_summary" "$d/mix.pcap" || fail "gen_summary"
cp "$TOP/examples/loopback-resets.pcap" "$d/loop.pcap"
hostile="$d/a<b>&\"c'"$'\xe2\x80\xa8'"x.pcap"
python3 "$TOP/tests/cli/report_hostile.py" "$hostile" || fail "report_hostile.py"

# check NAME REPORT-OPTIONS -- FILES: report vs summary --format=json vs analyze.
check() {
    local name=$1; shift
    local opts=()
    while [ "$1" != "--" ]; do opts+=("$1"); shift; done
    shift
    "$RSTSCOPE" report -q "${opts[@]}" "$@" -o "$d/$name.html" 2>"$d/$name.err" ||
        { cat "$d/$name.err"; fail "$name: report exit $?"; }
    local sopts=()
    for o in "${opts[@]}"; do [[ $o == --max-rows=* || $o == --title=* ]] || sopts+=("$o"); done
    "$RSTSCOPE" summary --format=json "${sopts[@]}" "$@" >"$d/$name.json" 2>/dev/null ||
        fail "$name: summary exit $?"
    local aopts=()
    for o in "${sopts[@]}"; do [[ $o == --top=* || $o == --width=* ]] || aopts+=("$o"); done
    "$RSTSCOPE" analyze --format=jsonl -q "${aopts[@]}" "$@" >"$d/$name.jsonl" 2>/dev/null ||
        fail "$name: analyze exit $?"
    python3 - "$d/$name.html" "$d/$name.json" "$d/$name.jsonl" "${opts[*]}" <<'PY' || fail "$name: page differs"
import json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
summary = json.load(open(sys.argv[2]))
recs = [json.loads(l) for l in open(sys.argv[3])]
opts = sys.argv[4]
bad = []
def block(id_):
    m = re.search(r'<script type="application/json" id="%s">(.*?)</script>' % id_, html, re.S)
    if not m:
        sys.exit("no block " + id_)
    return json.loads(m.group(1))
emb = block("rs-summary")
if emb != summary:
    for k in summary:
        if emb.get(k) != summary[k]:
            bad.append(f"summary key {k}: page {emb.get(k)!r} != summary {summary[k]!r}")
# the table: analyze's records that failed or were reset (rs_only_match)
def failed(r):
    return (r["end_reason"] in ("tcp-rst-from-client", "tcp-rst-from-server") or r["rst_by"]
            or r["app"] == "incomplete" or r["conn_state"] in ("S0", "REJ"))
def resets(r):
    return (r["end_reason"] in ("tcp-rst-from-client", "tcp-rst-from-server") or r["rst_by"]
            or r["rst_flags"])
want = [r for r in recs if failed(r) or resets(r)]
t = block("rs-sessions")
if t["fields"] != list(recs[0].keys()):
    bad.append(f"fields {t['fields']} != jsonl keys {list(recs[0].keys())}")
m = re.search(r"--max-rows=(\d+)", opts)
cap = int(m.group(1)) if m else 10000
if t["kept"] != min(cap, len(want)) or t["left_out"] != len(want) - t["kept"]:
    bad.append(f"kept {t['kept']} left_out {t['left_out']}, want {min(cap, len(want))} of {len(want)}")
# uids are random per run (Zeek's are too): every other field must match
strip = lambda r: {k: v for k, v in r.items() if k != "uid"}
rows = [strip(dict(zip(t["fields"], row))) for row in t["rows"]]
if rows != [strip(r) for r in want[:cap]]:
    bad.append(f"rows differ from analyze's records ({len(rows)} vs {len(want[:cap])})")
# nothing to fetch: no URL but the SVG namespace name, no src/href/url()/@import
# in the markup, style and script (the JSON blocks are data: packet text)
code = re.sub(r'<script type="application/json" id="[^"]*">.*?</script>', "", html, flags=re.S)
for u in re.findall(r"https?://[^\s\"'<>)]*", code):
    if u != "http://www.w3.org/2000/svg":
        bad.append("URL in page: " + u)
for pat in (r"\bsrc\s*=", r"\bhref\s*=", r"url\(", r"@import", r"<link\b", r"<iframe\b", r"\bfetch\(", r"XMLHttpRequest"):
    if re.search(pat, code, re.I):
        bad.append("page has " + pat)
if "default-src 'none'" not in html:
    bad.append("no Content-Security-Policy")
for b in bad[:20]:
    print(b)
sys.exit(1 if bad else 0)
PY
}

check mix -- "$d/mix.pcap"
check mix-top3 --top=3 --width=20 -- "$d/mix.pcap"
check two --title=two-captures -- "$d/mix.pcap" "$d/loop.pcap"
check cap --max-rows=5 -- "$d/mix.pcap"
check hostile -- "$hostile" "$d/loop.pcap"
check filtered --filter="tcp port 443" --profile=zeek -- "$d/mix.pcap"
printf 'reset-server dport=8080\nallow\n' >"$d/rules.txt"
check policy --policy="$d/rules.txt" -- "$d/mix.pcap"
grep -q "<title>two-captures</title>" "$d/two.html" || fail "--title"
grep -q "<title>rstscope report: mix.pcap</title>" "$d/mix-top3.html" || fail "default title"

# Hostile text stays data: the template's four <script> elements and no
# other; the text from packets is in the page only JSON-escaped; the file
# name HTML-escaped in the title and the header.
python3 - "$d/hostile.html" <<'PY' || fail "hostile input broke out"
import re, sys
raw = open(sys.argv[1], "rb").read()
html = raw.decode("utf-8")
bad = []
if len(re.findall(r"<script\b", html, re.I)) != 3 or len(re.findall(r"</script", html, re.I)) != 3:
    bad.append("script elements: %d open, %d close" % (len(re.findall(r"<script\b", html, re.I)),
                                                      len(re.findall(r"</script", html, re.I))))
for s in ("<img", "<b>", "alert(1)</"):
    if s in html:
        bad.append(f"raw {s!r} in the page")
# U+2028/2029 are plain text in HTML; inside a script they must be escaped
for sc in re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S):
    for s in ("\u2028", "\u2029"):
        if s in sc:
            bad.append(f"raw {s!r} in a script element")
for s in (r"x\u003c/script\u003e\u003cscript\u003ealert(1)\u003c/script\u003e",  # Host header
          r"\\xe2\\x80\\xa9", r"\u003cb\u003ebye\u003c/b\u003e",  # RST payload, escaped by the engine
          r"\u2028x.pcap", r"\u0026amp;"):
    if s not in html:
        bad.append(f"missing escaped form {s!r}")
if "<title>rstscope report: a&lt;b&gt;&amp;&quot;c&#39;" not in html:
    bad.append("title not HTML-escaped")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY

# The page on stdout when it is not a terminal; the same bytes as -o.
"$RSTSCOPE" report -q "$d/mix.pcap" >"$d/stdout.html" || fail "stdout: exit $?"
"$RSTSCOPE" report -q "$d/mix.pcap" -o "$d/o.html" || fail "-o: exit $?"
# (uids are random per run)
mask() { sed -E 's/"C[0-9A-Za-z]{8,24}"/"UID"/g' "$1"; }
cmp -s <(mask "$d/stdout.html") <(mask "$d/o.html") || fail "stdout and -o differ"

# Damage is reported in the page (it is in the summary JSON) and is no error.
head -c 3000 "$d/mix.pcap" >"$d/cut.pcap"
"$RSTSCOPE" report -q "$d/cut.pcap" -o "$d/cut.html" 2>"$d/cut.err" || fail "truncated: exit $?"
grep -q "truncated" "$d/cut.err" || fail "truncated: no note on stderr"
grep -q "truncated" "$d/cut.html" || fail "truncated: not in the page"

# Exit codes.
"$RSTSCOPE" report -o "$d/x.html" >/dev/null 2>&1
[ $? -eq 1 ] || fail "no input: want 1"
"$RSTSCOPE" report --top=0 "$d/mix.pcap" -o "$d/x.html" >/dev/null 2>&1
[ $? -eq 1 ] || fail "--top=0: want 1"
"$RSTSCOPE" report --max-rows=x "$d/mix.pcap" -o "$d/x.html" >/dev/null 2>&1
[ $? -eq 1 ] || fail "--max-rows=x: want 1"
echo "not a capture" >"$d/text.pcap"
"$RSTSCOPE" report "$d/text.pcap" -o "$d/x.html" >/dev/null 2>&1
[ $? -eq 2 ] || fail "not a capture: want 2"
[ -e "$d/x.html" ] && fail "not a capture: an empty page was written"
"$RSTSCOPE" report "$d/mix.pcap" -o "$d/no/such/dir/x.html" >/dev/null 2>&1
[ $? -eq 3 ] || fail "unwritable: want 3"
if [ -w /dev/full ]; then
    "$RSTSCOPE" report "$d/mix.pcap" -o /dev/full >/dev/null 2>&1
    [ $? -eq 3 ] || fail "/dev/full: want 3"
fi
"$RSTSCOPE" report --help | grep -q "usage: rstscope report" || fail "--help"
echo "ok"
