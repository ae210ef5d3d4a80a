#!/usr/bin/env bash
# Guest instructions per HTTP request on the QEMU firmware: QEMU counts the
# Cortex-M4 instructions it executes (tools/insn-count.c, a TCG plugin), the
# firmware serves N requests over a TAP in a network namespace, and the
# count before and after, less the idle background measured over the same
# time, divided by N is the cost of one request: stack, driver, executor
# and httpd together. Instructions, not seconds: the same on a loaded
# machine. Needs root (namespace, TAP), gcc, curl, defmt-print.
#
#   ./tools/insn-per-request.sh [ELF]     (N=500 by default)
#
# Without ELF it uses the release build in CARGO_TARGET_DIR (or ./target).
# With PROFILE=PATH (or PROFILE=1 for /favicon.svg) it also prints where
# the instructions of N keep-alive requests for PATH go, by function (needs
# arm-none-eabi-addr2line).
set -eu

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$HERE/target}"
ELF="${1:-$TARGET_DIR/thumbv7em-none-eabihf/release/petrel-qemu-mps2-an386}"
N="${N:-500}"
ADDR=198.51.100.2
[ -f "$ELF" ] || { echo "no firmware at $ELF: cargo build --release first" >&2; exit 1; }

W="$(mktemp -d)"
NS="petrel-insn-$$"
QP=""
# shellcheck source=qemu.sh
. "$HERE/tools/qemu.sh"
cleanup() {
    [ -n "$QP" ] && kill "$QP" 2>/dev/null && wait "$QP" 2>/dev/null
    decoders_stop
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "$W"
}
trap cleanup EXIT

gcc -shared -fPIC -O2 -Wall -o "$W/insn-count.so" "$HERE/tools/insn-count.c" -lpthread
mkfifo "$W/ctl"
: >"$W/count"

ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" tuntap add dev tap0 mode tap
ip -n "$NS" addr add 198.51.100.1/24 dev tap0
ip -n "$NS" link set tap0 up
decoder "$W/qemu.log" "$ELF"
ip netns exec "$NS" "${QEMU[@]}" \
    -netdev tap,id=n0,ifname=tap0,script=no,downscript=no "${NIC[@]}" \
    -plugin "file=$W/insn-count.so,ctl=$W/ctl,out=$W/count${PROFILE:+,profile=on}" \
    -kernel "$ELF" </dev/null >"$W/qemu.log.fifo" 2>>"$W/qemu.log" &
QP=$!
for _ in $(seq 150); do grep -q "http listening" "$W/qemu.log" && break; sleep 0.2; done
grep -q "http listening" "$W/qemu.log" || { cat "$W/qemu.log" >&2; echo "firmware did not start" >&2; exit 1; }
sleep 1

# The count now (one report per byte written to the FIFO).
count() {
    local before
    before=$(wc -l <"$W/count")
    printf x >"$W/ctl"
    for _ in $(seq 100); do
        [ "$(wc -l <"$W/count")" -gt "$before" ] && break
        sleep 0.01
    done
    tail -1 "$W/count" | cut -d' ' -f2
}
now() { date +%s.%N; }

# Idle background (timers, MQTT reconnects, mDNS, SNTP): instructions per second.
t0=$(now); a=$(count); sleep 3; b=$(count); t1=$(now)
idle=$(python3 -c "print(($b - $a) / ($t1 - $t0))")

printf '%-34s %10s %14s\n' "request (N=$N each)" "wall s" "insns/request"
run() { # label, curl arguments...
    local label="$1"; shift
    local t0 a b t1
    t0=$(now); a=$(count)
    ip netns exec "$NS" curl -sS --fail "$@" >/dev/null
    b=$(count); t1=$(now)
    python3 -c "
wall = $t1 - $t0
per = (($b - $a) - $idle * wall) / $N
print(f'{\"$label\":<34} {wall:10.2f} {per:14.0f}')"
}
urls() { # path: N `url` lines for one curl (keep-alive on one connection)
    for _ in $(seq "$N"); do echo "url = \"http://$ADDR$1\""; echo "output = /dev/null"; done
}
urls /favicon.svg >"$W/favicon"; urls / >"$W/index"; urls /api/status >"$W/status"
urls /nothing-here >"$W/missing"
run "GET /favicon.svg (keep-alive)" -K "$W/favicon"
run "GET / (SSI dashboard, keep-alive)" -K "$W/index"
run "GET /api/status (keep-alive)" -K "$W/status"
run "GET /nothing-here (404, keep-alive)" -K "$W/missing" --no-fail
run "GET /favicon.svg (new connection)" -K "$W/favicon" -H "Connection: close"
printf '%-34s %10s %14.0f\n' "idle background, per second" "" "$idle"

[ -n "${PROFILE:-}" ] || exit 0
# Where a keep-alive request's instructions go: a batch again with the
# per-block profile on, attributed to the function each block starts in
# (inlined callees by the innermost function, then by the symbol). The
# idle background is not subtracted here.
case "$PROFILE" in 1) PROFILE=/favicon.svg ;; esac
urls "$PROFILE" >"$W/profiled"
printf r >"$W/ctl"; sleep 0.2
ip netns exec "$NS" curl -sS --fail -K "$W/profiled" >/dev/null
printf d >"$W/ctl"
for _ in $(seq 200); do grep -q '^end$' "$W/count" && break; sleep 0.05; done
python3 - "$W/count" "$ELF" "$N" <<'PY'
import subprocess, sys
from collections import defaultdict
path, elf, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
blocks, started = [], False
for line in open(path):
    f = line.split()
    if len(f) == 3:
        blocks.append((int(f[0], 16), int(f[1]) * int(f[2])))
pcs = sorted({pc for pc, _ in blocks})
out = subprocess.run(["arm-none-eabi-addr2line", "-e", elf, "-f", "-C", "-i", "-a"],
                     input="\n".join(f"{pc:x}" for pc in pcs), capture_output=True,
                     text=True, check=True).stdout.splitlines()
chains, cur = {}, None
for l in out:
    if l.startswith("0x"):
        cur = int(l, 16); chains[cur] = []
    elif not l.startswith("/") and not l.startswith("??:") and ":" not in l[:2]:
        chains[cur].append(l)
inner, outer = defaultdict(int), defaultdict(int)
for pc, k in blocks:
    ch = [c for c in chains.get(pc, []) if not c.startswith(("/", "??"))] or ["??"]
    inner[ch[0]] += k
    outer[ch[-1]] += k
total = sum(k for _, k in blocks)
for title, d in (("by innermost function", inner), ("by symbol (inlined code in its caller)", outer)):
    print(f"\n{title}: {total / n:.0f} instructions per request")
    for name, k in sorted(d.items(), key=lambda x: -x[1])[:20]:
        print(f"  {k / n:9.0f}  {100 * k / total:5.1f}%  {name[:110]}")
PY
