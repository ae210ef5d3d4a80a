#!/usr/bin/env bash
# Runs every check of the project, as CI does: installs the peers when missing,
# then formatting, clippy, the no_std builds for Cortex-M, and all tests
# (unit, simulated link, host sockets, TAP in a namespace, real peers).
#
# Usage: scripts/test.sh            (as root: namespace tests need it)
#        PETREL_NO_NETNS=1 scripts/test.sh   (skip namespace tests; not for CI)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# One-shot builds: incremental caches would only take disk (CI's is small).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
start=$(date +%s)
step() { printf '\n==> %s (%ss)\n' "$1" "$(( $(date +%s) - start ))"; }

df -h . | tail -1 | awk '{print "disk: " $4 " free of " $2}'
step "peers and toolchain"
scripts/install-peers.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (workspace, all targets, -D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "docs (every public item documented, links resolve)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features --locked -q

step "no_std builds for thumbv7em-none-eabihf"
# Every no_std crate, default features off (netcore also with its smoltcp backend).
NO_STD_CRATES=(petrel-netcore petrel-altcp petrel-mqtt petrel-snmp petrel-tftp petrel-iperf petrel-mdns petrel-webroot petrel-sntp petrel-netbios petrel-mibs petrel-httpd)
for c in "${NO_STD_CRATES[@]}"; do
  cargo build --locked -q -p "$c" --no-default-features --target thumbv7em-none-eabihf
done
cargo build --locked -q -p petrel-netcore --no-default-features --features smoltcp --target thumbv7em-none-eabihf
cargo build --locked -q -p petrel-httpd --no-default-features --features driver --target thumbv7em-none-eabihf
# The `defmt` feature (Format for what a firmware logs), linted for the MCU.
DEFMT_CRATES=(petrel-netcore petrel-altcp petrel-mqtt petrel-snmp petrel-tftp petrel-iperf petrel-mdns petrel-sntp petrel-netbios petrel-httpd)
cargo clippy --locked -q --target thumbv7em-none-eabihf --no-default-features \
  "${DEFMT_CRATES[@]/#/-p}" --features "${DEFMT_CRATES[*]/%//defmt}" -- -D warnings
# rustls with the pure-Rust provider (TLS on the MCU; no getrandom, no C).
cargo build --locked -q -p petrel-altcp --no-default-features --features tls-rustcrypto --target thumbv7em-none-eabihf
echo "built ${#NO_STD_CRATES[@]} no_std crates for thumbv7em-none-eabihf"

step "firmware: fmt and clippy (its own Cargo project)"
# Default services, the self-test, and the two TLS size probes.
(
  cd boards/qemu-mps2-an386
  cargo fmt -- --check
  for features in "" "--features selftest" \
      "--no-default-features --features tls-size-rustls" \
      "--no-default-features --features tftp,iperf,mqtt,tls-size"; do
    # shellcheck disable=SC2086
    cargo clippy --release --locked -q $features -- -D warnings
  done
)

step "tests"
# Unit, integration and doc tests of every crate (benchmarks are run by
# scripts/bench.sh, not here).
cargo test --workspace --locked --no-fail-fast
# petrel-snmp as the firmware builds it: no USM, no SNMPv3 (feature `v3`).
cargo test --locked -q -p petrel-snmp --no-default-features --features std,driver
# petrel-mqtt's client as the firmware builds it: 3.1.1 only (feature `v5`).
cargo test --locked -q -p petrel-mqtt --no-default-features --features std,driver --lib
# The firmware's memory and division functions, on the host (the self-test
# checks them again on the Cortex-M4).
(cd boards/qemu-mps2-an386/mem && cargo test --locked -q --target "$(rustc -vV | sed -n 's/^host: //p')")

if [ -x boards/qemu-mps2-an386/test.sh ]; then
  step "firmware under QEMU"
  boards/qemu-mps2-an386/test.sh
fi

step "done"
# What the run left on disk (CI's disk is shared and small; keep an eye on it).
du -sh "$CARGO_TARGET_DIR" 2>/dev/null || true
