#!/usr/bin/env bash
# san: once
# rstscope report in a real browser (issue #9 acceptance): Debian's headless
# Chromium, driven over the DevTools protocol by tests/cli/report_cdp.py,
# opens two pages (the summary test's mix plus the loopback capture; a
# capture whose packets carry </script>, markup and an <img onerror>) at
# 1280x800 light and dark and on a 390x844 phone. For each: the page's
# script drew everything (data-ok, no error in the page, the console, the
# log; no dialog; no request but the page itself), screenshots were taken
# (kept in $BUILD/report-screenshots/), dark differs from light, nothing
# wider than the phone's screen, text keeps its size; every drawn number
# equals `summary --format=json` on the same input; the table sorts and
# filters; the hostile text shows as text.
set -u
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
RSTSCOPE=${RSTSCOPE:-build/rstscope}
TOOLS=${TOOLS:-build/tools}
TOP=${TOP:-.}
BUILD=${BUILD:-build}
CHROMIUM=${CHROMIUM:-chromium}
export CHROMIUM

if ! command -v "$CHROMIUM" >/dev/null; then
    echo "chromium not installed (Debian: apt-get install chromium): browser test of the report skipped"
    exit 77
fi

"$TOOLS/gen_summary" "$d/mix.pcap" || fail "gen_summary"
cp "$TOP/examples/loopback-resets.pcap" "$d/loop.pcap"
python3 "$TOP/tests/cli/report_hostile.py" "$d/hostile.pcap" || fail "report_hostile.py"
"$RSTSCOPE" report -q "$d/mix.pcap" "$d/loop.pcap" -o "$d/mix.html" || fail "report mix"
"$RSTSCOPE" summary --format=json "$d/mix.pcap" "$d/loop.pcap" >"$d/mix.json" || fail "summary mix"
"$RSTSCOPE" report -q "$d/hostile.pcap" -o "$d/hostile.html" || fail "report hostile"
"$RSTSCOPE" summary --format=json "$d/hostile.pcap" >"$d/hostile.json" || fail "summary hostile"

shots="$TOP/$BUILD/report-screenshots"
rm -rf "$shots"
mkdir -p "$shots"
python3 "$TOP/tests/cli/report_cdp.py" "$shots" --interact "$d/mix.html" "$d/hostile.html" \
    >"$d/cdp.json" 2>"$d/cdp.err" || { cat "$d/cdp.err"; tail -20 "$shots/chromium.log"; fail "report_cdp.py exit $?"; }

python3 - "$d/cdp.json" "$d/mix.html" "$d/mix.json" "$d/hostile.html" "$d/hostile.json" <<'PY' || fail "the page in the browser"
import json, os, sys
res = json.load(open(sys.argv[1]))["pages"]
bad = []
def check_numbers(view, s, page):
    got = {}
    for e in view["nums"]:
        got.setdefault(e["kind"], {})[e["key"]] = e["n"]
    def eq(kind, want):
        have = got.get(kind, {})
        if have != want:
            bad.append(f"{page}: {kind}: page {have} != summary {want}")
    eq("end", {k: v for k, v in s["by_end_reason"].items() if v})
    apps = {a["app"]: a["sessions"] for a in s["by_app"]}
    if s["apps_total"] > len(s["by_app"]):
        apps["(rest)"] = s["apps_rest"]["sessions"]
    eq("app", apps)
    eq("cause", {c["cause"]: c["sessions"] for c in s["by_rst_cause"]})
    ep = lambda a, p: (f"[{a}]" if ":" in a else a) + f":{p}"
    eq("server", {ep(h["addr"], h["port"]): h["resets"] for h in s["top_servers"]})
    eq("client", {h["addr"]: h["resets"] for h in s["top_clients"]})
    eq("bucket", {str(i): v for i, v in enumerate(s["timeline"]["resets"]) if v})
    eq("timeline", {"total": s["timeline"]["total"]})
    eq("finding", {f["code"] + " " + f["victim"]: f["rsts"] for f in s["findings"]})
    eq("unsolicited", {"sessions": s["unsolicited"]["sessions"]})
    tot = got.get("total", {})
    for k, v in (("sessions", s["capture"]["sessions"]), ("resets", s["resets"]["sessions"]),
                 ("packets", s["capture"]["packets"]), ("findings", s["findings_total"]),
                 ("duration", s["capture"]["duration"])):
        if tot.get(k) != v:
            bad.append(f"{page}: card {k}: {tot.get(k)} != {v}")

for page, sumfile in ((sys.argv[2], sys.argv[3]), (sys.argv[4], sys.argv[5])):
    r = res[page]
    s = json.load(open(sumfile))
    name = os.path.basename(page)
    for e in r["errors"]:
        bad.append(f"{name}: {e}")
    views = r["views"]
    for vname, v in views.items():
        if v["ok"] != "1" or v["errors"] or v["error_list"]:
            bad.append(f"{name} {vname}: data-ok={v['ok']} errors={v['errors']} {v['error_list']}")
        if v["screenshot_bytes"] < 10000:
            bad.append(f"{name} {vname}: screenshot of {v['screenshot_bytes']} bytes")
        if v["scroll_width"] > v["inner_width"]:
            bad.append(f"{name} {vname}: page {v['scroll_width']} px wide on a {v['inner_width']} px screen")
        if v["label_px"] < 11 or (v["axis_px"] is not None and v["axis_px"] < 11):
            bad.append(f"{name} {vname}: text too small ({v['label_px']}, {v['axis_px']})")
        want_rows = min(300, sum(1 for e in v["nums"] if e["kind"] == "session"))
        if v["rows"] == 0 or v["rows"] != want_rows:
            bad.append(f"{name} {vname}: {v['rows']} table rows")
        for c in ("end", "apps"):
            if not v["charts"][c] or v["charts"][c]["h"] < 20:
                bad.append(f"{name} {vname}: chart {c} not drawn: {v['charts'][c]}")
        check_numbers(v, s, f"{name} {vname}")
    if views["desktop-light"]["bg"] == views["desktop-dark"]["bg"]:
        bad.append(f"{name}: dark mode has the light background")
    print(f"{name}: {len(r['errors'])} errors; rows {views['desktop-light']['rows']}; "
          f"light {views['desktop-light']['bg']} dark {views['desktop-dark']['bg']}")

mix = res[sys.argv[2]]["views"]["desktop-light"]
if not mix["charts"]["timeline"] or mix["charts"]["timeline"]["h"] < 50:
    bad.append("timeline not drawn")
it = mix["interact"]
if it["sort1"] != "ascending" or it["sort2"] != "descending":
    bad.append(f"sorting: {it['sort1']}, {it['sort2']}")
if it["sorted_asc"] != sorted(it["sorted_asc"]) or it["sorted_desc"] != sorted(it["sorted_desc"], reverse=True):
    bad.append("the cause column did not sort")
if not 1 <= it["filtered_rows"] < mix["rows"]:
    bad.append(f"filter '{it['filter_word']}': {it['filtered_rows']} rows")
if it["none_rows"] != 0:
    bad.append("filter matching nothing still shows rows")
s = json.load(open(sys.argv[3]))
if it.get("select_rows") != s["by_end_reason"].get(it.get("select_value"), -1):
    bad.append(f"end reason filter {it.get('select_value')}: {it.get('select_rows')} rows")
hv = res[sys.argv[4]]["views"]["desktop-light"]
for text in ("x</script><script>alert(1)</script>", "</script><b>bye</b>"):
    if text not in hv["table_text"]:
        bad.append(f"hostile text not shown as text: {text!r}")
for b in bad[:30]:
    print(b)
sys.exit(1 if bad else 0)
PY
ls "$shots"/*.png
echo "ok"
