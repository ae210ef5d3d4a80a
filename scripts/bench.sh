#!/usr/bin/env bash
# Measures netcore's echo throughput over the simulated link, the host backend
# and the TAP backend (in a namespace this script creates and deletes), and the
# per-connection RAM of the smoltcp backend for thumbv7em. Prints tables; run
# as root for the TAP part. Numbers go to BENCHMARKS.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
BIN="$CARGO_TARGET_DIR/release"
cargo build -q --release -p petrel-host -p petrel-interop

echo "## Simulated link"
cargo bench -q -p petrel-netcore --features sim --bench sim_echo 2>/dev/null | grep '^|'

cpu() { awk '{printf "user %.2f s, sys %.2f s", $14/100, $15/100}' "/proc/$1/stat"; }

echo
echo "## Echo through petrel (echo-bench: writer + reader thread per connection)"
echo "| backend | run | result | petrel CPU |"
echo "|---|---|---|---|"
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '[echo]\ntcp = "127.0.0.1:%s"\nudp = "127.0.0.1:%s"\n[http]\nenabled=false\n[https]\nenabled=false\n' "$port" "$port" > "$dir/p.toml"
"$BIN/petrel" --config "$dir/p.toml" > "$dir/log" 2>&1 & pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q "echo tcp listening" "$dir/log" && break; sleep 0.1; done
for run in "256 1" "128 4"; do
  set -- $run
  r=$("$BIN/echo-bench" "127.0.0.1:$port" "$1" "$2")
  echo "| host sockets | $1 MiB x $2 conn | ${r#*: } | $(cpu $pid) |"
done
kill $pid; trap - EXIT

if [ "$(id -u)" -eq 0 ]; then
  ns="petrel-bench-$$"
  ip netns add "$ns"; trap 'ip netns pids "$ns" 2>/dev/null | xargs -r kill -9; ip netns del "$ns"' EXIT
  ip -n "$ns" link set lo up
  ip -n "$ns" tuntap add dev tap0 mode tap
  ip -n "$ns" addr add 198.51.100.1/24 dev tap0
  ip -n "$ns" link set tap0 up
  ip netns exec "$ns" "$BIN/petrel" --tap tap0 --ip 198.51.100.2/24 > "$dir/tap.log" 2>&1 &
  for _ in $(seq 50); do grep -q "echo tcp listening" "$dir/tap.log" && break; sleep 0.1; done
  tpid=$(ip netns pids "$ns" | head -1)
  for run in "256 1" "64 4"; do
    set -- $run
    r=$(ip netns exec "$ns" "$BIN/echo-bench" 198.51.100.2:7007 "$1" "$2")
    echo "| smoltcp on TAP | $1 MiB x $2 conn | ${r#*: } | $(cpu "$tpid") |"
  done
else
  echo "| smoltcp on TAP | (skipped: needs root) | | |"
fi

echo
echo "## smoltcp backend RAM on thumbv7em-none-eabihf (type sizes, nightly -Zprint-type-sizes)"
if rustup toolchain list | grep -q nightly; then
  rustup target add --toolchain nightly thumbv7em-none-eabihf >/dev/null 2>&1 || true
  CARGO_TARGET_DIR="$CARGO_TARGET_DIR/nightly-sizes" cargo +nightly rustc -q -p petrel-netcore \
    --no-default-features --features smoltcp --target thumbv7em-none-eabihf --lib -- -Zprint-type-sizes 2>/dev/null \
    | grep -E "^print-type-size type: \`(smoltcp::socket::tcp::Socket<'_>|smoltcp::iface::SocketStorage<'_>|smol::inner::TcpSlot|smol::inner::UdpSlot|smol::inner::Inner<'_>|smoltcp::iface::Interface|smoltcp::socket::udp::Socket<'_>|smol::observer::Observer|smoltcp::socket::dns::DnsQuery)\`" \
    | sort -u | sed 's/^print-type-size type: /- /'
else
  echo "(needs a nightly toolchain)"
fi
