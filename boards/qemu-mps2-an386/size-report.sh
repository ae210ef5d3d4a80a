#!/usr/bin/env bash
# Flash and RAM of the firmware: per section, per crate (from symbol names),
# and the biggest symbols. Uses arm-none-eabi-size / arm-none-eabi-nm
# (Debian package binutils-arm-none-eabi) and python3.
#
#   ./size-report.sh [--no-default-features] [--features F] [--elf PATH] [--top N]
#
# The services are default features (tftp, iperf, mqtt, snmp, httpd, mdns,
# netbios, sntp, petrel-mib): measure one alone
# with `--no-default-features --features tftp`, none with
# `--no-default-features` (echo only).
#
# Without --elf it builds the release firmware first (CARGO_TARGET_DIR, or
# ./target here).
set -eu

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$HERE/target}"
ELF=""
TOP=25
FEATURES=()
NO_DEFAULT=()
while [ $# -gt 0 ]; do
    case "$1" in
        --elf) ELF="$2"; shift 2 ;;
        --top) TOP="$2"; shift 2 ;;
        --features) FEATURES=(--features "$2"); shift 2 ;;
        --no-default-features) NO_DEFAULT=(--no-default-features); shift ;;
        *) echo "usage: $0 [--no-default-features] [--features F] [--elf PATH] [--top N]" >&2; exit 2 ;;
    esac
done
for tool in arm-none-eabi-size arm-none-eabi-nm python3; do
    command -v "$tool" >/dev/null || {
        echo "$tool missing: apt-get install binutils-arm-none-eabi python3" >&2; exit 1; }
done
if [ -z "$ELF" ]; then
    (cd "$HERE" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release "${NO_DEFAULT[@]}" "${FEATURES[@]}" >&2)
    ELF="$TARGET_DIR/thumbv7em-none-eabihf/release/petrel-qemu-mps2-an386"
fi

echo "== sections ($ELF)"
arm-none-eabi-size -A -d "$ELF" | awk 'NR > 2 && $1 ~ /^\./ && $1 !~ /^\.(debug|comment|ARM\.attributes|symtab|strtab|shstrtab)/ { printf "  %-16s %8d B  @ 0x%08x\n", $1, $2, $3 }'

arm-none-eabi-size -A -d "$ELF" >"${TMPDIR:-/tmp}/size-report.$$"
arm-none-eabi-nm -C --size-sort -S "$ELF" >"${TMPDIR:-/tmp}/nm-report.$$"
trap 'rm -f "${TMPDIR:-/tmp}/size-report.$$" "${TMPDIR:-/tmp}/nm-report.$$"' EXIT

python3 - "${TMPDIR:-/tmp}/size-report.$$" "${TMPDIR:-/tmp}/nm-report.$$" "$TOP" <<'EOF'
import re, sys
from collections import defaultdict

sections = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) >= 3 and f[0].startswith('.') and f[1].isdigit():
        sections[f[0]] = int(f[1])
flash = sum(sections.get(s, 0) for s in ('.vector_table', '.text', '.rodata', '.data'))
ram = sum(sections.get(s, 0) for s in ('.data', '.bss', '.uninit'))
print(f"== totals\n  flash {flash} B (.vector_table + .text + .rodata + .data image)")
print(f"  static RAM {ram} B (.data + .bss + .uninit); the rest of RAM is stack, no heap")

def crate(name):
    """The crate a symbol belongs to, from its demangled name."""
    if name.startswith('.L'):
        return '(anonymous constants: strings, tables)'
    if name.startswith('embassy_executor::raw::TaskStorage<F>::poll'):
        # An embassy task's body is inlined into the executor's generic poll.
        return '(task bodies: board + apps, inlined into embassy TaskStorage::poll)'
    n = name
    m = re.match(r'<&?(?:mut )?([^ ]+) as ([^>]+)>', n)
    if m:
        # "<X as Tr>::f": X's crate if X is a path, else the trait's.
        n = m.group(1) if '::' in m.group(1) else m.group(2)
    n = n.lstrip('<&*[(')
    m = re.match(r'([A-Za-z_][A-Za-z0-9_]*)::', n)
    if m:
        c = m.group(1)
        return 'petrel_qemu_mps2_an386 (board)' if c.startswith('petrel_qemu') else c
    if n.startswith('_') or n in ('memcmp', 'memcpy', 'memset', 'memmove', 'Reset', 'DefaultHandler', 'HardFault', 'SysTick'):
        return '(runtime: cortex-m-rt, compiler-builtins, handlers)'
    return '(primitives: fmt of u8/u32/str...)'

flash_by, ram_by = defaultdict(int), defaultdict(int)
syms = []
for line in open(sys.argv[2]):
    f = line.rstrip('\n').split(' ', 3)
    if len(f) < 4:
        continue
    size, kind, name = int(f[1], 16), f[2], f[3]
    c = crate(name)
    if kind in 'tTrRwWvV':
        flash_by[c] += size
        syms.append((size, 'flash', name))
    elif kind in 'bBdD':
        ram_by[c] += size
        syms.append((size, 'ram', name))

def table(title, d):
    print(f"== {title}")
    for c, s in sorted(d.items(), key=lambda kv: -kv[1]):
        if s >= 64:
            print(f"  {s:8d} B  {c}")
def service(name):
    """The board module (= service) a static belongs to."""
    m = re.match(r'petrel_qemu_mps2_an386::([A-Za-z_0-9]+)(::|$)', name)
    if not m:
        return crate(name)
    top, more = m.group(1), m.group(2)
    if more:
        return {'lan9118': 'lan9118 driver', 'services': 'board (executor, tasks, time)',
                'net_task': 'board (executor, tasks, time)',
                'stats_task': 'board (executor, tasks, time)'}.get(top, top)
    if top in ('BYTES', 'SOCKETS', 'TCP_SLOTS', 'UDP_SLOTS', 'UDP_META', 'STATE', 'DNS_QUERIES'):
        return 'netcore stack (socket buffers + tables)'
    if top == 'DRIVER_BUFS':
        return 'lan9118 driver'
    return 'board (executor, tasks, time)'

svc_ram = defaultdict(int)
for size, where, name in syms:
    if where == 'ram':
        svc_ram[service(name)] += size
table('flash by crate (symbols; inlined code counts where it landed)', flash_by)
table('static RAM by crate (symbols)', ram_by)
table('static RAM by board module (service; socket buffers are in the netcore stack line)', svc_ram)
print(f"== {sys.argv[3]} biggest symbols")
for size, where, name in sorted(syms, reverse=True)[:int(sys.argv[3])]:
    print(f"  {size:8d} B  {where:5s}  {name[:110]}")
EOF
