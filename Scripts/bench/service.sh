#!/usr/bin/env bash
# Issue 14's benchmark: `hsmsync serve` (release build) on ../shared/bench fixtures, every ratio
# measured in the same run as its reference:
#   a. CPU (user + sys) of one `hsmsync inventory --fleet F --json` of the 3-token fleet (median of 3;
#      `ref_inventory all` beside it for context)
#   b. CPU per watch cycle of `hsmsync serve` on the same, unchanged fleet (sync.mode plan, interval
#      1s), from /proc/PID/stat and the /metrics cycle counter over about --watch-seconds, between two
#      cycle ends; ratio to (a), goal <= 25 %
#   c. GET /v1/status under wrk (-t2 -c32 -d20s, loopback, reader token) while watch cycles run:
#      goal >= 5,000 req/s and p99 <= 20 ms
#   d. VmRSS of the service after 10 and after 1,000 watch cycles, on a second, smaller fleet
#      (--rss-keys, interval 1s; stopped at --rss-minutes with the count reached): goal growth <= 10 %
# The fixtures (fixture.py --tokens 3, then ref_replicate primary -> secondary and -> member, so all
# three tokens hold the same keys) are built once and kept in --dir; the service's state and tokens
# are made afresh on every run.
#
# usage: Scripts/bench/service.sh [--shared DIR] [--keys N] [--dir DIR] [--rss-keys N]
#                                 [--rss-cycles N] [--rss-minutes M] [--watch-seconds S] [--wrk-seconds S]
#   --shared DIR       the reference programs and fixture.py (default ../shared/bench beside the checkout)
#   --keys N           keys on the fleet of a-c (default 10000)
#   --dir DIR          fixtures, logs and results (default .build-bench/service)
#   --rss-keys N       keys on the fleet of d (default 500)
#   --rss-cycles N     watch cycles for d (default 1000)
#   --rss-minutes M    stop d after M minutes whatever the count (default 25)
#   --watch-seconds S  how long b samples (default 60)
#   --wrk-seconds S    wrk's -d (default 20)
# Needs: softhsm2, libp11-kit-dev, gcc, curl, python3 (python-pkcs11 and cryptography are installed
# with pip, wrk with apt-get, when missing). Builds with --scratch-path .build-bench.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

SHARED=$ROOT/../shared/bench
KEYS=10000
DIR=$ROOT/.build-bench/service
RSS_KEYS=500
RSS_CYCLES=1000
RSS_MINUTES=25
WATCH_SECONDS=60
WRK_SECONDS=20
while [[ $# -gt 0 ]]; do
  case $1 in
    --shared) SHARED=$2; shift 2 ;;
    --keys) KEYS=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --rss-keys) RSS_KEYS=$2; shift 2 ;;
    --rss-cycles) RSS_CYCLES=$2; shift 2 ;;
    --rss-minutes) RSS_MINUTES=$2; shift 2 ;;
    --watch-seconds) WATCH_SECONDS=$2; shift 2 ;;
    --wrk-seconds) WRK_SECONDS=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "service.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
SHARED=$(cd "$SHARED" && pwd)
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
MODULE=${PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
TICKS=$(getconf CLK_TCK)

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
calc() { python3 -c "print($1)"; }

# ---------------------------------------------------------------- processes this script starts
SERVE_PID=""
WRK_PID=""
stop_serve() {
  [[ -n $SERVE_PID ]] || return 0
  if kill -0 "$SERVE_PID" 2>/dev/null; then
    kill -TERM "$SERVE_PID" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$SERVE_PID" 2>/dev/null && { log "serve $SERVE_PID did not stop within 15 s: SIGKILL"; kill -KILL "$SERVE_PID" 2>/dev/null || true; }
  fi
  local code=0
  wait "$SERVE_PID" 2>/dev/null || code=$?
  log "serve $SERVE_PID stopped (exit $code)"
  SERVE_PID=""
}
cleanup() {
  if [[ -n $WRK_PID ]]; then kill -TERM "$WRK_PID" 2>/dev/null || true; fi
  stop_serve
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- tools and build
python3 -c 'import pkcs11, cryptography' 2>/dev/null || python3 -m pip install --quiet python-pkcs11 cryptography
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
for tool in gcc curl pkg-config softhsm2-util; do
  command -v "$tool" >/dev/null || { echo "service.sh: $tool is missing" >&2; exit 2; }
done

log "building hsmsync (release, --scratch-path .build-bench)"
swift build -c release --product hsmsync --scratch-path "$ROOT/.build-bench" >"$DIR/build.log" 2>&1 \
  || { tail -n 30 "$DIR/build.log" >&2; exit 3; }
BIN=$ROOT/.build-bench/release/hsmsync
COMMIT=$(git describe --always --dirty 2>/dev/null || echo unknown)  # what the binary was built from
mkdir -p "$DIR/bin"
for name in ref_inventory ref_replicate; do
  if [[ ! -x $DIR/bin/$name || $SHARED/$name.c -nt $DIR/bin/$name ]]; then
    # shellcheck disable=SC2046
    gcc -O2 $(pkg-config --cflags p11-kit-1) -o "$DIR/bin/$name" "$SHARED/$name.c" -ldl
  fi
done

# fixture KEYS -> sets FIX (its directory) and FLEET (the fleet file with a service: section);
# exports SOFTHSM2_CONF. Built once (fixture.py + ref_replicate); state and tokens made afresh.
fixture() {
  local keys=$1
  FIX=$DIR/fixture-$keys
  export SOFTHSM2_CONF=$FIX/softhsm2.conf
  if [[ ! -e $FIX/replicated ]]; then
    rm -rf "$FIX"
    log "building the fixture: $keys keys, 3 tokens (once; kept in $FIX)"
    local start=$SECONDS
    python3 "$SHARED/fixture.py" --dir "$FIX" --keys "$keys" --tokens 3 --quiet >/dev/null
    for target in secondary member; do
      log "ref_replicate primary -> $target"
      "$DIR/bin/ref_replicate" -s primary -d "$target" >"$FIX/replicate-$target.txt"
    done
    touch "$FIX/replicated"
    log "fixture ready in $((SECONDS - start)) s"
  fi
  mkdir -p "$FIX/pins"
  for token in primary member secondary; do
    printf '1234\n' >"$FIX/pins/$token.pin"
    chmod 600 "$FIX/pins/$token.pin"
  done
  rm -rf "$FIX/hsmsync-state" "$FIX/api-tokens.yaml"
  FLEET=$FIX/fleet.yaml
  cat >"$FLEET" <<YAML
name: bench-$keys
hsms:
  - {name: primary-1, role: primary, module: $MODULE, token: "pkcs11:token=primary", pin: "file:pins/primary.pin"}
  - {name: member-1, role: member, module: $MODULE, token: "pkcs11:token=member", pin: "file:pins/member.pin"}
  - {name: secondary-1, role: secondary, module: $MODULE, token: "pkcs11:token=secondary", pin: "file:pins/secondary.pin"}
transport:
  label: transport
service:
  instance: bench-1
  listen: 127.0.0.1:0
  tokens: file:api-tokens.yaml
  sync: {mode: plan, interval: 1s}
YAML
  TOKEN=$("$BIN" serve token add --fleet "$FLEET" --name bench --role reader 2>/dev/null)
  [[ -n $TOKEN ]] || { echo "service.sh: serve token add printed no token" >&2; exit 3; }
}

# ---------------------------------------------------------------- helpers for a running service
# start_serve NAME: starts serve on $FLEET, sets SERVE_PID and URL once it logs "listening".
start_serve() {
  local name=$1
  SERVE_LOG=$DIR/serve-$name.log
  "$BIN" serve --fleet "$FLEET" --log-format json 2>"$SERVE_LOG" >/dev/null &
  SERVE_PID=$!
  URL=""
  for _ in $(seq 1200); do
    kill -0 "$SERVE_PID" 2>/dev/null || { tail -n 20 "$SERVE_LOG" >&2; echo "service.sh: serve exited" >&2; exit 3; }
    URL=$(python3 - "$SERVE_LOG" <<'PY'
import json, sys
for line in open(sys.argv[1], errors="replace"):
    try:
        event = json.loads(line)
    except ValueError:
        continue
    if event.get("message") == "listening" and event.get("address"):
        print(event["address"]); break
PY
)
    [[ -n $URL ]] && break
    sleep 0.1
  done
  [[ -n $URL ]] || { echo "service.sh: serve logged no listening address within 120 s" >&2; exit 3; }
  log "serve $SERVE_PID listening at $URL"
}
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$SERVE_PID/stat"; }  # utime + stime
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVE_PID/status"; }
# metric NAME: the value of a sample of NAME, with or without labels (the service labels them with the fleet).
metric() { curl -sf --max-time 5 "$URL/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 { print $NF; exit }'; }
cycles() { local c; c=$(metric hsmsync_watch_cycle_duration_seconds_count); printf '%.0f\n' "${c:-0}"; }
status_field() {
  curl -sf --max-time 5 -H "Authorization: Bearer $TOKEN" "$URL/v1/status" \
    | python3 -c "import json, sys; v = json.load(sys.stdin).get('$1'); print('' if v is None else v)"
}
wait_first_watch() {
  for _ in $(seq 1800); do
    [[ -n $(status_field lastWatchAt 2>/dev/null || true) ]] && return 0
    kill -0 "$SERVE_PID" 2>/dev/null || { echo "service.sh: serve exited" >&2; exit 3; }
    sleep 0.5
  done
  echo "service.sh: no watch cycle within 15 minutes" >&2; exit 3
}
# cycle_end AFTER: waits until the cycle counter passes AFTER, then prints "count cpu_ticks seconds sum".
cycle_end() {
  local after=$1 count limit=$((SECONDS + 900))
  while :; do
    (( SECONDS < limit )) || { echo "service.sh: no watch cycle ended within 15 minutes" >&2; exit 3; }
    kill -0 "$SERVE_PID" 2>/dev/null || { echo "service.sh: serve exited" >&2; exit 3; }
    count=$(cycles)
    if (( count > after )); then
      echo "$count $(cpu_ticks) $(date +%s.%N) $(metric hsmsync_watch_cycle_duration_seconds_sum)"
      return
    fi
    sleep 0.25
  done
}
median() { sort -g | awk '{ v[NR] = $1 } END { printf "%.2f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
START=$SECONDS

# ---------------------------------------------------------------- a. one inventory
fixture "$KEYS"
OBJECTS=$(python3 -c "import json; print(json.load(open('$FIX/fleet.json'))['primary_objects'])")
log "a. hsmsync inventory of the fleet (3 runs; ref_inventory all beside it)"
inv_cpu=(); inv_wall=(); ref_cpu=(); ref_wall=()
for _ in 1 2 3; do
  /usr/bin/time -f "%e %U %S" -o "$DIR/time.txt" "$DIR/bin/ref_inventory" all >/dev/null 2>&1
  read -r wall user sys <"$DIR/time.txt"; ref_wall+=("$wall"); ref_cpu+=("$(calc "round($user + $sys, 2)")")
  /usr/bin/time -f "%e %U %S" -o "$DIR/time.txt" "$BIN" inventory --fleet "$FLEET" --json >/dev/null 2>"$DIR/inventory.err"
  read -r wall user sys <"$DIR/time.txt"; inv_wall+=("$wall"); inv_cpu+=("$(calc "round($user + $sys, 2)")")
done
INV_CPU=$(printf '%s\n' "${inv_cpu[@]}" | median)
INV_WALL=$(printf '%s\n' "${inv_wall[@]}" | median)
REF_CPU=$(printf '%s\n' "${ref_cpu[@]}" | median)
REF_WALL=$(printf '%s\n' "${ref_wall[@]}" | median)
log "   inventory CPU ${inv_cpu[*]} s (wall ${inv_wall[*]}); ref_inventory all CPU ${ref_cpu[*]} s"

# ---------------------------------------------------------------- b. CPU per watch cycle
log "b. serve on the unchanged $KEYS-key fleet: CPU per watch cycle over ~${WATCH_SECONDS} s"
start_serve "$KEYS"
wait_first_watch
end=$(cycle_end "$(cycles)")
read -r c0 t0 s0 sum0 <<<"$end"
c1=$c0
while :; do  # from one cycle's end to the first cycle end at least WATCH_SECONDS later
  end=$(cycle_end "$c1")
  read -r c1 t1 s1 sum1 <<<"$end"
  [[ $(calc "int($s1 - $s0 >= $WATCH_SECONDS)") == 1 ]] && break
done
WATCH_CYCLES=$((c1 - c0))
WATCH_CPU=$(calc "round(($t1 - $t0) / $TICKS / $WATCH_CYCLES, 3)")
WATCH_WALL=$(calc "round(($sum1 - $sum0) / $WATCH_CYCLES, 3)")
WATCH_SPAN=$(calc "round($s1 - $s0, 1)")
WATCH_RATIO=$(calc "round(100 * $WATCH_CPU / $INV_CPU, 1)")
log "   $WATCH_CYCLES cycles in $WATCH_SPAN s: $WATCH_CPU s CPU per cycle ($WATCH_WALL s wall) = $WATCH_RATIO % of one inventory"

# ---------------------------------------------------------------- c. /v1/status under wrk
log "c. wrk -t2 -c32 -d${WRK_SECONDS}s GET /v1/status while watch cycles run"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$URL/v1/status")
[[ $code == 200 ]] || { echo "service.sh: GET /v1/status answered $code" >&2; exit 3; }
wc0=$(cycles)
wrk -t2 -c32 -d"${WRK_SECONDS}s" --latency -H "Authorization: Bearer $TOKEN" "$URL/v1/status" >"$DIR/wrk.txt" 2>&1 &
WRK_PID=$!
wait "$WRK_PID"
WRK_PID=""
wc1=$(cycles)
WRK_CYCLES=$((wc1 - wc0))
RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$DIR/wrk.txt")
P99=$(awk '$1 == "99%" { v = $2; u = v; sub(/[a-z]+$/, "", v); sub(/^[0-9.]+/, "", u);
  f = (u == "us") ? 0.001 : (u == "s") ? 1000 : (u == "m") ? 60000 : 1; printf "%.2f", v * f }' "$DIR/wrk.txt")
P50=$(awk '$1 == "50%" { v = $2; u = v; sub(/[a-z]+$/, "", v); sub(/^[0-9.]+/, "", u);
  f = (u == "us") ? 0.001 : (u == "s") ? 1000 : (u == "m") ? 60000 : 1; printf "%.2f", v * f }' "$DIR/wrk.txt")
NON2XX=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$DIR/wrk.txt"); NON2XX=${NON2XX:-0}
SOCKERR=$(awk '/Socket errors:/ { sub(/^.*Socket errors: /, ""); print }' "$DIR/wrk.txt"); SOCKERR=${SOCKERR:-none}
log "   $RPS req/s, p50 $P50 ms, p99 $P99 ms, non-2xx $NON2XX, socket errors $SOCKERR; $WRK_CYCLES watch cycles ended meanwhile"
stop_serve

# ---------------------------------------------------------------- d. RSS over 1,000 cycles
fixture "$RSS_KEYS"
RSS_OBJECTS=$(python3 -c "import json; print(json.load(open('$FIX/fleet.json'))['primary_objects'])")
log "d. serve on the $RSS_KEYS-key fleet: VmRSS after 10 and after $RSS_CYCLES watch cycles (at most $RSS_MINUTES min)"
start_serve "$RSS_KEYS"
deadline=$((SECONDS + RSS_MINUTES * 60))
RSS10=""; RSS100=""; RSS_END=""; RSS_COUNT=0; rss_trace=()
next_mark=10
while :; do
  count=$(cycles)
  if [[ -z $RSS10 ]] && (( count >= 10 )); then RSS10=$(rss_kib); RSS10_AT=$count; fi
  if (( count >= next_mark )); then
    rss_trace+=("$count:$(rss_kib)")
    (( next_mark = next_mark < 100 ? 100 : next_mark + 100 ))
  fi
  if [[ -z $RSS100 ]] && (( count >= 100 )); then RSS100=$(rss_kib); fi
  if (( count >= RSS_CYCLES )) || (( SECONDS >= deadline )); then
    RSS_END=$(rss_kib); RSS_COUNT=$count; break
  fi
  kill -0 "$SERVE_PID" 2>/dev/null || { echo "service.sh: serve exited" >&2; exit 3; }
  sleep 1
done
RSS_GROWTH=$(calc "round(100 * ($RSS_END - $RSS10) / $RSS10, 1)")
log "   VmRSS ${RSS10} KiB at cycle $RSS10_AT, ${RSS100:-?} KiB at 100, ${RSS_END} KiB at $RSS_COUNT: ${RSS_GROWTH} %"
log "   trace (cycle:KiB): ${rss_trace[*]}"
stop_serve

# ---------------------------------------------------------------- results
row() { printf '| %s | %s | %s | %s | %s |\n' "$@"; }
verdict() { if [[ $(calc "int($1)") == 1 ]]; then echo met; else echo MISSED; fi; }
mib() { calc "round($1 / 1024, 1)"; }
{
  echo
  echo "hsmsync serve benchmark (issue 14): $(date -u +%Y-%m-%d), built at commit $COMMIT, $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at the end, $(( (SECONDS - START) / 60 )) min"
  echo "fleet a-c: $KEYS keys, 3 tokens of $OBJECTS objects each; fleet d: $RSS_KEYS keys ($RSS_OBJECTS objects each); sync.mode plan, interval 1s"
  echo
  row "measure" "reference" "hsmsync" "result" "goal"
  row "---" "---" "---" "---" "---"
  row "CPU, one inventory of the fleet (median of 3)" "ref_inventory all ${REF_CPU} s (wall ${REF_WALL} s)" "${INV_CPU} s (wall ${INV_WALL} s)" "$(calc "round($INV_CPU / $REF_CPU, 2)")x the C reference" "-"
  row "CPU per watch cycle, unchanged fleet" "one inventory ${INV_CPU} s" "${WATCH_CPU} s ($WATCH_CYCLES cycles, ${WATCH_SPAN} s)" "${WATCH_RATIO} %" "<= 25 %: $(verdict "$WATCH_RATIO <= 25")"
  row "watch cycle wall time (mean)" "inventory wall ${INV_WALL} s" "${WATCH_WALL} s" "$(calc "round($WATCH_WALL / $INV_WALL, 2)")x" "-"
  row "GET /v1/status throughput (wrk -t2 -c32)" "-" "${RPS} req/s" "$WRK_CYCLES cycles ran" ">= 5,000: $(verdict "$RPS >= 5000")"
  row "GET /v1/status latency p99 (p50)" "-" "${P99} ms (${P50} ms)" "non-2xx: $NON2XX" "<= 20 ms: $(verdict "$P99 <= 20")"
  row "VmRSS after $RSS_COUNT vs after $RSS10_AT watch cycles" "$(mib "$RSS10") MiB at $RSS10_AT" "$(mib "$RSS_END") MiB at $RSS_COUNT" "${RSS_GROWTH} %" "<= 10 %: $(verdict "$RSS_GROWTH <= 10")"
  [[ $SOCKERR == none ]] || echo "wrk socket errors: $SOCKERR"
  (( RSS_COUNT >= RSS_CYCLES )) || echo "d stopped after $RSS_MINUTES min at cycle $RSS_COUNT (not $RSS_CYCLES)"
  echo "RSS trace (cycle:KiB): ${rss_trace[*]}"
} | tee "$DIR/results.txt"
