# Sourced by test.sh, tools/run.sh and tools/insn-per-request.sh: how the
# firmware is run under QEMU, and how its log is read. The firmware logs
# defmt frames over semihosting (src/logger.rs), which QEMU writes to its
# stdout; defmt-print turns them back into lines, with the ELF for the
# strings.
#
#   "${QEMU[@]}" -netdev ... "${NIC[@]}" -kernel ELF
#                          the machine (mps2-an386, Cortex-M4, semihosting)
#                          and its LAN9118 NIC on netdev `n0`.
#   decoder LOG ELF        starts a decoder that appends the lines to LOG and
#                          reads the frames from "$LOG.fifo"; run QEMU with
#                          `>"$LOG.fifo" 2>>"$LOG"`. Sets DECODER_PID.
#   decoder_wait           after QEMU has exited: waits until every line of
#                          the last decoder is in LOG (it ends at EOF; at
#                          most 5 s).
#   decoders_stop          kills any decoder still running (cleanup traps).
#
# The functions return 0 whatever happened to the decoders, so they are
# safe under `set -e` and in EXIT traps.

QEMU=(qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -display none -nographic
      -semihosting-config enable=on,target=native)
NIC=(-net nic,netdev=n0,model=lan9118,macaddr=02:00:00:00:00:02)

# The line format: `[seconds since boot] message`, as the firmware's own
# `defmt::timestamp!` gives it.
PETREL_LOG_FORMAT='[{t}] {s}'
DECODER_PID=""
DECODER_PIDS=()

decoder() {
    rm -f "$1.fifo"
    mkfifo "$1.fifo"
    : >"$1"
    defmt-print -e "$2" --log-format "$PETREL_LOG_FORMAT" <"$1.fifo" >>"$1" 2>&1 &
    DECODER_PID=$!
    DECODER_PIDS+=("$DECODER_PID")
}

decoder_wait() {
    local i
    for i in $(seq 50); do
        kill -0 "$DECODER_PID" 2>/dev/null || break
        sleep 0.1
    done
    # Bounded: a decoder still running after 5 s (a writer left holding the
    # FIFO) is stopped rather than waited for.
    kill "$DECODER_PID" 2>/dev/null || true
    wait "$DECODER_PID" 2>/dev/null || true
}

decoders_stop() {
    local p
    for p in "${DECODER_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    DECODER_PIDS=()
    return 0
}
