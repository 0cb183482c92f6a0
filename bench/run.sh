#!/usr/bin/env bash
# bench/run.sh - rstscope against its peers on the same synthetic captures,
# in the same run, alternating tools, several runs each (`make bench`).
#
#   bash bench/run.sh [--quick] [--micro] [--no-peers] [--pin] [--cold]
#     --quick     one run per tool, 1M capture only
#     --pin       pin single-thread runs to the fastest CPU (see below)
#     --cold      no memory warming before each timed run (see below)
#     --micro     only the per-stage micro benchmark (bench/micro)
#     --no-peers  rstscope only
#     --instr     only instruction and simulated cache-miss counts per packet
#                 (valgrind's cachegrind on a 200,000-packet capture): a
#                 figure that does not move with the machine's load, for
#                 judging small changes on a shared VM
#   RUNS=N (default 3) runs per tool and capture; SLOW_RUNS (default 1) for
#   tshark, which takes minutes per run; LIN_RUNS (default 6) interleaved
#   rstscope runs on each capture for the two targets that compare captures.
#
# Captures (written once by tests/tools/gen_bench into bench/data/, which is
# gitignored, and reused while the generator's arguments stay the same):
#   bench-1m.pcap      1,000,000 packets,  5,000 sessions in flight
#   bench-3.5m.pcap    3,500,000 packets,  5,000 sessions in flight
#   bench-1m-c50k.pcap 1,000,000 packets, 50,000 sessions in flight (10x)
#   bench-1m-ng.pcapng the 1M capture as pcapng (editcap), rstscope only
# and the 1M capture through a pipe (rstscope-pipe: cat FILE | rstscope -;
# its CPU time includes cat's).
# Each file is read before every timed run (page cache); rounds run the
# tools in alternating directions. Every figure is the
# median over the runs; CPU is user + system time of the process
# (/usr/bin/time), so a busy machine inflates wall time more than CPU time.
# Every timed run of every tool comes right after bench/memwarm has touched
# and freed WARM_MB of memory: this VM hands memory the guest has not used
# for a couple of seconds back to the host, and a first touch of such a
# page costs 30x one of memory freed a moment ago (0.3-0.6 against 15 GB/s;
# 0.14 s of system time for rstscope's 80 MB on the 1M capture), so without
# it a run's figure depended on what ran before it and how long ago. The
# "fresh memory" section measures what that costs rstscope (docs/
# performance.md); --cold leaves it out of every run.
# The CPUs are timed first (one rstscope thread pinned to each): on this
# project's VM one vCPU is often 1.5-2x slower than the other (not always
# the same one). With --pin every single-thread run is pinned (taskset) to
# the faster one, which steadies rstscope's figures but costs the peers
# that use several threads (argus: 3.3 -> 4.0 CPU-s on the 1M capture), so
# the default leaves every tool to the scheduler.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RUNS=${RUNS:-3}
SLOW_RUNS=${SLOW_RUNS:-1}
LIN_RUNS=${LIN_RUNS:-6}
DATA=bench/data
RS="$BUILD/rstscope"
WARM_MB=${WARM_MB:-1024}
quick=0 micro_only=0 peers=1 instr=0 pin=0 cold=0
for a in "$@"; do
    case $a in
    --quick) quick=1; RUNS=1 ;;
    --micro) micro_only=1 ;;
    --no-peers) peers=0 ;;
    --instr) instr=1 ;;
    --pin) pin=1 ;;
    --cold) cold=1 ;;
    *) echo "usage: bench/run.sh [--quick] [--micro] [--no-peers] [--instr] [--pin] [--cold]" >&2; exit 1 ;;
    esac
done
mkdir -p "$DATA"

# Before each timed run: warm memory for it (see above), unless --cold.
warm() {
    [ "$cold" = 1 ] || "$BUILD/bench/memwarm" "$WARM_MB" >/dev/null
}

gen() { # name packets concurrent
    local f="$DATA/$1" stamp="$DATA/$1.args" args="-n $2 -c $3 -r 25000 -s 1"
    if [ ! -s "$f" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$args" ]; then
        echo "generating $f ($args)" >&2
        "$BUILD/tools/gen_bench" $args -o "$f.tmp" && mv "$f.tmp" "$f" && echo "$args" >"$stamp"
    fi
}
if [ "$instr" = 1 ]; then
    command -v valgrind >/dev/null || { echo "bench: --instr needs valgrind" >&2; exit 1; }
    gen bench-200k.pcap 200000 5000
    f=$DATA/bench-200k.pcap
    echo "== instructions per packet (cachegrind, LL 8 MiB 16-way), $f =="
    for stage in block engine; do
        out=$(valgrind --tool=cachegrind --cache-sim=yes --LL=8388608,16,64 \
            --cachegrind-out-file=/dev/null "$BUILD/bench/micro" -r 1 -s "$stage" "$f" 2>&1)
        echo "$out" | awk -v st="$stage" -v n=200000 '
            /I *refs:/ { gsub(",", "", $4); ir = $4 }
            /D1  misses:/ { gsub(",", "", $4); d1 = $4 }
            /LL misses:/ { gsub(",", "", $4); ll = $4 }
            END { printf "micro %-7s %8.0f instr/pkt %6.2f D1 misses/pkt %6.2f LL misses/pkt (incl. a block warm-up pass)\n", st, ir / n, d1 / n, ll / n }'
    done
    out=$(valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
        "$RS" analyze --format=jsonl -q -o /dev/null "$f" 2>&1)
    echo "$out" | awk -v n=200000 '/I *refs:/ { gsub(",", "", $4); printf "analyze --format=jsonl %8.0f instr/pkt\n", $4 / n }'
    exit 0
fi
gen bench-1m.pcap 1000000 5000
if [ "$quick" = 0 ]; then
    gen bench-3.5m.pcap 3500000 5000
    gen bench-1m-c50k.pcap 1000000 50000
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "rstscope: $(git rev-parse --short HEAD 2>/dev/null || echo '?')"

if [ "$micro_only" = 1 ] || [ "$quick" = 0 ]; then
    echo
    echo "== micro: CPU ns per packet by stage, $DATA/bench-1m.pcap (best of $RUNS) =="
    "$BUILD/bench/micro" -r "$RUNS" "$DATA/bench-1m.pcap"
    echo
    echo "== memory latency by working set (bench/memlat) =="
    "$BUILD/bench/memlat" 64
    [ "$micro_only" = 1 ] && exit 0
fi

# What each CPU gives one thread: on a VM the second vCPU may be a share of
# a core (seen here: 1.5x slower than the first), which bounds what
# --threads can gain and scatters single-thread figures by which CPU the
# scheduler picked. PIN is the fastest (median of RUNS).
PIN=""
if command -v taskset >/dev/null && [ "$micro_only" = 0 ]; then
    echo
    echo "== one thread pinned to each CPU: analyze $DATA/bench-1m.pcap, CPU s (user + system) =="
    best=""
    cpus=""
    for part in $(taskset -pc $$ | sed 's/.*: //; s/,/ /g'); do
        case $part in *-*) cpus="$cpus $(seq "${part%-*}" "${part#*-}")" ;; *) cpus="$cpus $part" ;; esac
    done
    for c in $cpus; do
        t=""
        for r in $(seq "$RUNS"); do
            warm
            t="$t $( { /usr/bin/time -f '%U %S' taskset -c "$c" "$BUILD/rstscope" analyze \
                --format=jsonl -q -o /dev/null "$DATA/bench-1m.pcap"; } 2>&1 | tail -1 |
                awk '{print $1 + $2}')"
        done
        med=$(echo $t | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
        echo "cpu $c:$t (median $med)"
        if [ -z "$best" ] || awk -v a="$med" -v b="$best" 'BEGIN {exit !(a < b)}'; then
            best=$med
            PIN=$c
        fi
    done
    # What two CPUs give two jobs that share nothing: one single-thread
    # analysis per CPU, both at once. The wall of the pair against one run
    # alone on the fastest CPU bounds what --threads 2 can gain here (a
    # vCPU may be a share of a core, and two busy ones share the memory).
    set -- $cpus
    if [ $# -ge 2 ]; then
        echo
        echo "== two independent one-thread runs at once (cpu $1 and cpu $2), $DATA/bench-1m.pcap =="
        pw=""
        for r in $(seq "$RUNS"); do
            warm
            s=$(date +%s.%N)
            taskset -c "$1" "$BUILD/rstscope" analyze --format=jsonl -q -o /dev/null "$DATA/bench-1m.pcap" &
            taskset -c "$2" "$BUILD/rstscope" analyze --format=jsonl -q -o /dev/null "$DATA/bench-1m.pcap"
            wait
            pw="$pw $(awk -v s="$s" -v e="$(date +%s.%N)" 'BEGIN {printf "%.3f", e - s}')"
        done
        pmed=$(echo $pw | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
        echo "pair wall s:$pw (median $pmed); one run alone on the fastest CPU: $best CPU s"
        awk -v p="$pmed" -v b="$best" 'BEGIN {printf "the machine ceiling for two threads: %.2fx (2 x %.2f / %.2f)\n", 2 * b / p, b, p}'
    fi
    if [ "$pin" = 1 ] && [ -n "$PIN" ]; then
        echo "single-thread runs of every tool pinned to cpu $PIN; --threads 2 runs on all"
    else
        PIN=""
    fi
fi

# What fresh memory costs: rstscope on the 1M capture after the machine
# sat idle (memory handed back to the host) and right after memwarm.
if [ "$micro_only" = 0 ]; then
    echo
    echo "== fresh memory: analyze $DATA/bench-1m.pcap, CPU s (user + system) =="
    for mode in idle warm; do
        t=""
        for r in $(seq "$RUNS"); do
            if [ "$mode" = idle ]; then sleep 6; else "$BUILD/bench/memwarm" "$WARM_MB" >/dev/null; fi
            t="$t $( { /usr/bin/time -f '%U %S' "$BUILD/rstscope" analyze --format=jsonl -q \
                -o /dev/null "$DATA/bench-1m.pcap"; } 2>&1 | tail -1 | awk '{printf "%.2f+%.2f", $1, $2}')"
        done
        [ "$mode" = idle ] && label="6 s idle" || label="memwarm $WARM_MB MiB"
        echo "after $label:$t"
    done
fi

# ---- peers ----
if [ "$peers" = 1 ]; then
    need=()
    command -v argus >/dev/null || need+=(argus-server argus-client)
    command -v softflowd >/dev/null || need+=(softflowd)
    command -v ndpiReader >/dev/null || need+=(libndpi-bin)
    command -v tcptrace >/dev/null || need+=(tcptrace)
    command -v tshark >/dev/null || need+=(tshark)
    if [ "${#need[@]}" -gt 0 ]; then
        echo "installing peers: ${need[*]}" >&2
        if [ "$(id -u)" = 0 ]; then
            { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}"; } \
                >/dev/null 2>&1 || echo "warning: could not install every peer" >&2
        else
            echo "warning: not root; peers missing: ${need[*]}" >&2
        fi
    fi
fi
[ -x /usr/bin/time ] || { [ "$(id -u)" = 0 ] && apt-get install -y time >/dev/null 2>&1; }

# tool name -> command (FILE is replaced by the capture)
declare -A CMD
order=(rstscope)
CMD[rstscope]="$RS analyze --format=jsonl -q -o /dev/null FILE"
if "$RS" analyze --help 2>/dev/null | grep -q -- '--threads'; then
    order+=(rstscope-t2)
    CMD[rstscope-t2]="$RS analyze --format=jsonl -q --threads 2 -o /dev/null FILE"
    # Two independent one-thread runs at once, in the same rounds as the
    # two-thread runs: the ceiling for --threads 2 at the moment it is
    # measured (the one at the start of the run is minutes older; in
    # session 14's run it read 1.39x, and --threads 2 then made 1.65-1.81x).
    if [ "$(nproc)" -ge 2 ]; then
        order+=(rstscope-pair)
        CMD[rstscope-pair]="$RS analyze --format=jsonl -q -o /dev/null FILE & $RS analyze --format=jsonl -q -o /dev/null FILE; wait"
    fi
fi
# The 1M capture through a pipe (zcat big.pcap.gz | rstscope analyze -),
# rstscope only: its CPU time includes cat's, its wall time is the figure.
order+=(rstscope-pipe)
CMD[rstscope-pipe]="cat FILE | $RS analyze --format=jsonl -q -o /dev/null -"
if [ "$peers" = 1 ]; then
    command -v argus >/dev/null && { order+=(argus); CMD[argus]="argus -X -r FILE -w /dev/null"; }
    command -v softflowd >/dev/null &&
        { order+=(softflowd); CMD[softflowd]="softflowd -r FILE -n 127.0.0.1:9"; }
    command -v ndpiReader >/dev/null && { order+=(ndpiReader); CMD[ndpiReader]="ndpiReader -q -i FILE"; }
    command -v tcptrace >/dev/null && { order+=(tcptrace); CMD[tcptrace]="tcptrace -n FILE"; }
    command -v tshark >/dev/null && { order+=(tshark); CMD[tshark]="tshark -r FILE -q -z conv,tcp"; }
fi

# The 1M capture as pcapng (what Wireshark and dumpcap write), timed for
# rstscope only: its own pcapng reader, not the classic pcap fast path.
# editcap comes with tshark (installed above with the peers).
ng=$DATA/bench-1m-ng.pcapng
if [ "$quick" = 0 ] && command -v editcap >/dev/null &&
    { [ ! -s "$ng" ] || [ "$DATA/bench-1m.pcap" -nt "$ng" ]; }; then
    editcap -F pcapng "$DATA/bench-1m.pcap" "$ng.tmp" && mv "$ng.tmp" "$ng" &&
        cp "$DATA/bench-1m.pcap.args" "$ng.args"
fi

results=$(mktemp)
timef=$(mktemp)
trap 'rm -f "$results" "$timef"' EXIT
files=(bench-1m.pcap)
[ "$quick" = 0 ] && files+=(bench-3.5m.pcap bench-1m-c50k.pcap)
[ "$quick" = 0 ] && [ -s "$DATA/bench-1m-ng.pcapng" ] && files+=(bench-1m-ng.pcapng)
for f in "${files[@]}"; do
    path="$DATA/$f"
    pkts=$(sed -n 's/^-n \([0-9]*\) .*/\1/p' "$path.args")
    cat "$path" >/dev/null # page cache
    for ((r = 1; r <= RUNS; r++)); do
        # Rounds alternate direction (ABC CBA ABC: counterbalanced), so
        # that no tool always follows the same one: a run that comes right
        # after a peer that freed gigabytes (tshark, tcptrace, ndpiReader)
        # pays two to three times the system time for its own fresh memory
        # (docs/performance.md), and in one fixed order that was always
        # rstscope's place.
        round=("${order[@]}")
        if ((r % 2 == 0)); then
            round=()
            for ((i = ${#order[@]} - 1; i >= 0; i--)); do round+=("${order[i]}"); done
        fi
        for t in "${round[@]}"; do
            # Slow peers run SLOW_RUNS times; other captures than the two
            # main ones only time rstscope.
            [ "$t" = tshark ] && [ "$r" -gt "$SLOW_RUNS" ] && continue
            case $f in bench-1m-c50k.pcap | bench-1m-ng.pcapng) [[ $t != rstscope* ]] && continue ;; esac
            [ "$t" = rstscope-pipe ] && [ "$f" != bench-1m.pcap ] && continue
            [ "$t" = rstscope-pair ] && [ "$f" != bench-1m.pcap ] && [ "$f" != bench-3.5m.pcap ] && continue
            # In the page cache for every run (the issue's condition): a
            # peer with gigabytes of RSS (tshark) can push the file out, and
            # the next run then measured the disk.
            cat "$path" >/dev/null
            cmd=${CMD[$t]//FILE/$path}
            [ -n "$PIN" ] && [ "$t" != rstscope-t2 ] && [ "$t" != rstscope-pair ] && cmd="taskset -c $PIN $cmd"
            warm
            if [ "$t" = rstscope-pipe ] || [ "$t" = rstscope-pair ]; then
                /usr/bin/time -o "$timef" -f 'TIME %e %U %S %M' bash -c "$cmd" >/dev/null 2>&1 </dev/null
            else
                /usr/bin/time -o "$timef" -f 'TIME %e %U %S %M' $cmd >/dev/null 2>&1 </dev/null
            fi
            out=$(grep '^TIME' "$timef")
            [ -n "$out" ] || { echo "warning: $t failed on $f" >&2; continue; }
            echo "$f $pkts $t $out" >>"$results"
            echo "  $f run $r: $t $out" >&2
        done
    done
done

# The two targets that compare rstscope with itself (1M vs 3.5M, 5k vs 50k
# sessions in flight), measured with its runs on the three captures
# interleaved (rounds in alternating directions): the blocks above are
# minutes apart, and this VM's phases move a one-thread run by 1.5-2x
# within minutes (docs/performance.md), which the block figures then
# compare instead of the captures.
inter=$(mktemp)
trap 'rm -f "$results" "$timef" "$inter"' EXIT
if [ "$quick" = 0 ]; then
    lin=(bench-1m.pcap bench-3.5m.pcap bench-1m-c50k.pcap)
    for ((r = 1; r <= LIN_RUNS; r++)); do
        round=("${lin[@]}")
        ((r % 2 == 0)) && round=("${lin[2]}" "${lin[1]}" "${lin[0]}")
        for f in "${round[@]}"; do
            path="$DATA/$f"
            cat "$path" >/dev/null
            cmd="$BUILD/rstscope analyze --format=jsonl -q -o /dev/null $path"
            [ -n "$PIN" ] && cmd="taskset -c $PIN $cmd"
            warm
            /usr/bin/time -o "$timef" -f 'TIME %e %U %S %M' $cmd >/dev/null 2>&1 </dev/null
            out=$(grep '^TIME' "$timef") || continue
            echo "$f $(sed -n 's/^-n \([0-9]*\) .*/\1/p' "$path.args") $out" >>"$inter"
            echo "  interleaved run $r: $f $out" >&2
        done
    done
fi

python3 - "$results" "$inter" <<'EOF'
import sys, statistics, collections
rows = collections.defaultdict(list)
pk = {}
for line in open(sys.argv[1]):
    f, pkts, tool, _, wall, user, sys_, rss = line.split()
    pk[f] = int(pkts)
    rows[(f, tool)].append((float(wall), float(user) + float(sys_), int(rss)))
med = {}
for (f, tool), v in rows.items():
    med[(f, tool)] = (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v),
                      max(x[2] for x in v), len(v))
for f in sorted(pk, key=lambda x: (x != "bench-1m.pcap", x)):
    n = pk[f]
    print(f"\n== {f}: {n} packets ==")
    print(f"{'tool':<14} {'runs':>4} {'wall s':>8} {'cpu s':>8} {'Mpps/cpu':>9} {'Mpps wall':>9} "
          f"{'ns/pkt':>8} {'RSS MB':>8} {'us vs it':>9}")
    ours = med.get((f, "rstscope"))
    for (ff, tool), (w, c, rss, k) in sorted(med.items(), key=lambda x: x[1][1]):
        if ff != f:
            continue
        ratio = f"{(n / ours[1]) / (n / c):8.1f}x" if ours and tool != "rstscope" else ""
        if tool == "rstscope-pair":
            ratio = "" # two runs' CPU: its wall is the figure (the ceiling below)
        print(f"{tool:<14} {k:>4} {w:8.2f} {c:8.2f} {n / c / 1e6:9.2f} {n / w / 1e6:9.2f} "
              f"{c * 1e9 / n:8.0f} {rss / 1024:8.0f} {ratio:>9}")
def cpu_pps(f, t):
    m = med.get((f, t))
    return pk[f] / m[1] if m else None
print("\n== acceptance (packets per CPU-second, one `make bench` run) ==")
def check(name, ok, detail):
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
for f in ("bench-1m.pcap", "bench-3.5m.pcap"):
    o = cpu_pps(f, "rstscope")
    if o is None:
        continue
    for peer, want in (("argus", 8), ("ndpiReader", 25)):
        p = cpu_pps(f, peer)
        if p:
            check(f"{f} >= {want}x {peer}", o / p >= want, f"{o / p:.1f}x ({o / 1e6:.2f} vs {p / 1e6:.2f} Mpps)")
    check(f"{f} >= 4.5 Mpps per CPU-second", o >= 4.5e6, f"{o / 1e6:.2f} Mpps, {1e9 / o:.0f} ns/pkt")
m = med.get(("bench-3.5m.pcap", "rstscope"))
if m:
    check("peak RSS < 300 MB on 3.5M", m[2] / 1024 < 300, f"{m[2] / 1024:.0f} MB")
for f in ("bench-1m.pcap", "bench-3.5m.pcap"):
    t1, t2 = med.get((f, "rstscope")), med.get((f, "rstscope-t2"))
    if t1 and t2:
        pair = med.get((f, "rstscope-pair"))
        ceil = f"; two one-thread runs at once, in the same rounds: {2 * t1[0] / pair[0]:.2f}x" if pair else ""
        check(f"{f} --threads 2 >= 1.7x one thread (wall)", t1[0] / t2[0] >= 1.7, f"{t1[0] / t2[0]:.2f}x{ceil}")
a, b, c = (cpu_pps(f, "rstscope") for f in ("bench-1m.pcap", "bench-3.5m.pcap", "bench-1m-c50k.pcap"))
il = collections.defaultdict(list)
for line in open(sys.argv[2]):
    f, pkts, _, wall, user, sys_, rss = line.split()
    il[f].append(int(pkts) / (float(user) + float(sys_)))
ia, ib, ic = (statistics.median(il[f]) if il[f] else None
              for f in ("bench-1m.pcap", "bench-3.5m.pcap", "bench-1m-c50k.pcap"))
if ia:
    print(f"(interleaved rstscope runs, median Mpps per CPU-second: 1M {ia / 1e6:.2f}"
          + (f", 3.5M {ib / 1e6:.2f}" if ib else "") + (f", 50k in flight {ic / 1e6:.2f}" if ic else "")
          + f", {len(il['bench-1m.pcap'])} runs each)")
for name, x, y, blk in (("pps 1M vs 3.5M within 15%", ia, ib, b and a and b / a),
                        ("pps 5k vs 50k sessions in flight within 15%", ia, ic, c and a and c / a)):
    if x and y:
        check(name + " (interleaved runs)", abs(y / x - 1) <= 0.15,
              f"{y / x:.2f}" + (f" (the blocks above: {blk:.2f})" if blk else ""))
    elif blk:
        check(name, abs(blk - 1) <= 0.15, f"{blk:.2f}")
EOF
