#!/usr/bin/env bash
# The `cargo run` runner (.cargo/config.toml): boots the firmware ELF given
# as $1 in QEMU's mps2-an386 with user networking, and decodes its log
# (defmt frames over semihosting, src/logger.rs) with defmt-print. QEMU's
# exit code (the self-test's verdict) is the runner's. Quit with Ctrl-A X.
set -uo pipefail
ELF="$1"
# shellcheck source=qemu.sh
. "$(dirname "${BASH_SOURCE[0]}")/qemu.sh"
if ! command -v defmt-print >/dev/null; then
    echo "run.sh: defmt-print decodes the firmware's log; install it with" >&2
    echo "  cargo install defmt-print --locked --version 1.2.0" >&2
    exit 1
fi
# What the self-test (`--features selftest`) talks to: a TCP echo peer at
# 10.0.2.100:7 (`cat` behind guestfwd) and QEMU's TFTP server with
# selftest.txt; harmless for the other builds.
TFTP_DIR="$(mktemp -d)"
trap 'rm -rf "$TFTP_DIR"' EXIT
printf 'petrel selftest\n' >"$TFTP_DIR/selftest.txt"
"${QEMU[@]}" \
    -netdev "user,id=n0,restrict=on,tftp=$TFTP_DIR,guestfwd=tcp:10.0.2.100:7-cmd:cat,hostfwd=tcp:127.0.0.1:17007-:7" \
    "${NIC[@]}" -kernel "$ELF" \
    | defmt-print -e "$ELF" --log-format "$PETREL_LOG_FORMAT"
