#!/usr/bin/env bash
# Tests for the qemu-mps2-an386 firmware: builds it, runs its self-test under
# QEMU user networking, then talks to it from real Linux peers over a TAP
# device in a network namespace this script creates (198.51.100.0/24), and
# through QEMU's hostfwd on 127.0.0.1. Over TAP: ping, TCP/UDP echo, TFTP
# (tftp-hpa, atftp), iperf 2, SNMP (net-snmp's snmpget/snmpwalk), and MQTT
# through a mosquitto broker started in the namespace on 198.51.100.1:1883
# (the firmware's default broker).
#
# Needs (Debian): qemu-system-arm iputils-ping binutils-arm-none-eabi tftp-hpa
# atftp iperf mosquitto mosquitto-clients snmp (and python3, iproute2, root for the
# namespace). Installs nothing; a missing peer fails its own tests only.
# Every wait is bounded; QEMU and mosquitto are killed by pid and the
# namespace deleted on any exit. Last line: "N passed, N failed".
#
# Environment: CARGO_TARGET_DIR (default: ./target here).
set -u

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$HERE/target}"
ELF_BUILT="$TARGET_DIR/thumbv7em-none-eabihf/release/petrel-qemu-mps2-an386"
PEER="$HERE/tools/echo_peer.py"
WORK="$(mktemp -d /tmp/petrel-fw.XXXXXX)"
NS="petrel-fw-$$"
FW_IP=198.51.100.2
HOST_IP=198.51.100.1
QEMU_PID=""
MOSQ_PID=""
# The firmware's MQTT name (PETREL_NAME's default; the builds unset it).
DEVICE=an386
PASS=0
FAIL=0

QEMU=(qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -display none -nographic
      -semihosting-config enable=on,target=native)
NIC=(-net nic,netdev=n0,model=lan9118,macaddr=02:00:00:00:00:02)

stop_qemu() {
    if [ -n "$QEMU_PID" ]; then
        kill "$QEMU_PID" 2>/dev/null
        # Bounded: SIGKILL if it has not gone after 5 s.
        for _ in $(seq 50); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$QEMU_PID" 2>/dev/null
        wait "$QEMU_PID" 2>/dev/null
        QEMU_PID=""
    fi
}

stop_mosquitto() {
    if [ -n "$MOSQ_PID" ]; then
        kill "$MOSQ_PID" 2>/dev/null
        for _ in $(seq 30); do kill -0 "$MOSQ_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$MOSQ_PID" 2>/dev/null
        wait "$MOSQ_PID" 2>/dev/null
        MOSQ_PID=""
    fi
}

cleanup() {
    stop_qemu
    stop_mosquitto
    ip netns del "$NS" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { PASS=$((PASS + 1)); echo "PASS: $1"; }
bad() {
    FAIL=$((FAIL + 1)); echo "FAIL: $1"
    if [ -n "${2:-}" ] && [ -f "$2" ]; then sed 's/^/    | /' "$2" | tail -25; fi
}

# wait_log FILE PATTERN SECONDS: true once FILE has PATTERN; false on timeout
# or when QEMU has exited.
wait_log() {
    local i
    for i in $(seq $(( $3 * 10 ))); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        [ -n "$QEMU_PID" ] && ! kill -0 "$QEMU_PID" 2>/dev/null && return 1
        sleep 0.1
    done
    return 1
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

for tool in qemu-system-arm ping python3 ip cargo; do
    if ! command -v "$tool" >/dev/null; then
        bad "missing tool: $tool (apt: qemu-system-arm iputils-ping python3 iproute2)"
    fi
done
if [ "$FAIL" -ne 0 ]; then echo "$PASS passed, $FAIL failed"; exit 1; fi

# have TOOL...: true if all are installed; else one FAIL naming the missing.
have() {
    local t missing=""
    for t in "$@"; do command -v "$t" >/dev/null || missing="$missing $t"; done
    [ -z "$missing" ] && return 0
    bad "missing tool:$missing (apt: tftp-hpa atftp iperf mosquitto mosquitto-clients snmp)"
    return 1
}

# in_ns CMD...: runs CMD in the test namespace.
in_ns() { ip netns exec "$NS" "$@"; }

# test.bin as the firmware generates it (src/tftp.rs, test_bin_byte).
python3 -c '
import sys
sys.stdout.buffer.write(bytes(((i * 2654435761) & 0xffffffff) >> 24 for i in range(65536)))' \
    >"$WORK/test.bin.expect"

# ---- 1. build: static (198.51.100.2/24), dhcp, selftest ----------------
build() { # NAME FEATURES...
    local name="$1"; shift
    if (cd "$HERE" && env -u PETREL_IP -u PETREL_GATEWAY -u PETREL_SELFTEST_PEER \
            -u PETREL_SELFTEST_TFTP -u PETREL_NAME -u PETREL_MQTT_BROKER \
            CARGO_TARGET_DIR="$TARGET_DIR" \
            cargo build --release "$@") >"$WORK/build-$name.log" 2>&1 \
        && cp "$ELF_BUILT" "$WORK/fw-$name.elf"; then
        return 0
    fi
    bad "build $name" "$WORK/build-$name.log"
    return 1
}
built=1
build static || built=0
build dhcp --features dhcp || built=0
build selftest --features selftest || built=0
if [ "$built" -eq 1 ]; then
    ok "build (release: static, dhcp, selftest)"
    if command -v arm-none-eabi-size >/dev/null; then
        arm-none-eabi-size "$WORK/fw-static.elf" | sed 's/^/    /'
    fi
else
    echo "$PASS passed, $FAIL failed"; exit 1
fi

# ---- 2. self-test under user networking ---------------------------------
mkdir -p "$WORK/tftp"
printf 'petrel selftest\n' >"$WORK/tftp/selftest.txt"
timeout 60 "${QEMU[@]}" \
    -netdev "user,id=n0,restrict=on,tftp=$WORK/tftp,guestfwd=tcp:10.0.2.100:7-cmd:cat" \
    "${NIC[@]}" -kernel "$WORK/fw-selftest.elf" </dev/null >"$WORK/selftest.log" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q "selftest: PASS" "$WORK/selftest.log"; then
    ok "selftest exits 0 (driver, DHCP, TCP echo via guestfwd, UDP via TFTP)"
    grep -E "selftest:|mem:" "$WORK/selftest.log" | sed 's/^/    /'
else
    bad "selftest (QEMU exit $rc)" "$WORK/selftest.log"
fi

# ---- 3. TAP in a namespace: ping, TCP and UDP echo from Linux -----------
if ip netns add "$NS" && ip -n "$NS" link set lo up \
    && ip -n "$NS" tuntap add dev tap0 mode tap \
    && ip -n "$NS" addr add "$HOST_IP/24" dev tap0 \
    && ip -n "$NS" link set tap0 up; then
    # The broker first, so the firmware's first connection attempt succeeds.
    if have mosquitto; then
        printf 'listener 1883 %s\nallow_anonymous true\npersistence false\nuser root\n' \
            "$HOST_IP" >"$WORK/mosquitto.conf"
        # Directly, not through the in_ns function: `ip netns exec` execs
        # mosquitto, so $! is its pid (a function would run in a subshell).
        ip netns exec "$NS" mosquitto -c "$WORK/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
        MOSQ_PID=$!
        for _ in $(seq 50); do
            in_ns bash -c "exec 3<>/dev/tcp/$HOST_IP/1883" 2>/dev/null && break
            sleep 0.1
        done
    fi
    ip netns exec "$NS" "${QEMU[@]}" \
        -netdev tap,id=n0,ifname=tap0,script=no,downscript=no "${NIC[@]}" \
        -kernel "$WORK/fw-static.elf" </dev/null >"$WORK/tap.log" 2>&1 &
    QEMU_PID=$!
    if wait_log "$WORK/tap.log" "echo udp listening on $FW_IP:7" 20; then
        ok "tap: boots, echo listening on $FW_IP:7"
        if grep -q "mem: flash" "$WORK/tap.log" && grep -q "mem: stack high-water" "$WORK/tap.log"; then
            ok "tap: boot memory report printed"
        else
            bad "tap: boot memory report missing" "$WORK/tap.log"
        fi
        if timeout 20 ip netns exec "$NS" ping -c 3 -i 0.2 -W 2 "$FW_IP" >"$WORK/ping.log" 2>&1; then
            ok "tap: ping $FW_IP ($(tail -1 "$WORK/ping.log"))"
        else
            bad "tap: ping" "$WORK/ping.log"
        fi
        if timeout 60 ip netns exec "$NS" python3 "$PEER" tcp "$FW_IP" 7 65536 >"$WORK/t.log" 2>&1; then
            ok "tap: $(cat "$WORK/t.log")"
        else
            bad "tap: tcp echo 64 KiB" "$WORK/t.log"
        fi
        if timeout 30 ip netns exec "$NS" python3 "$PEER" udp "$FW_IP" 7 >"$WORK/u.log" 2>&1; then
            ok "tap: $(cat "$WORK/u.log")"
        else
            bad "tap: udp echo" "$WORK/u.log"
        fi
        cmd="python3 tools/echo_peer.py tcp $FW_IP 7 8388608"
        if timeout 90 ip netns exec "$NS" python3 "$PEER" tcp "$FW_IP" 7 8388608 >"$WORK/t8.log" 2>&1; then
            ok "tap: throughput: $(cat "$WORK/t8.log") [$cmd]"
        else
            bad "tap: tcp echo 8 MiB" "$WORK/t8.log"
        fi
        # Five clients at once: one is served, one waits in the backlog, the
        # others' SYNs are dropped until a socket is free (they retransmit).
        pids=()
        for i in 1 2 3 4 5; do
            timeout 90 ip netns exec "$NS" python3 "$PEER" tcp "$FW_IP" 7 262144 >"$WORK/c$i.log" 2>&1 &
            pids+=($!)
        done
        cfail=0
        for i in 1 2 3 4 5; do
            wait "${pids[$((i - 1))]}" || { cfail=1; cat "$WORK/c$i.log"; }
        done
        if [ "$cfail" -eq 0 ]; then
            ok "tap: 5 concurrent TCP echo clients x 256 KiB intact"
        else
            bad "tap: concurrent clients" "$WORK/tap.log"
        fi
        # ---- services: all running at once next to echo -------------------
        svc_up=1
        for line in "tftp listening on $FW_IP:69" "iperf listening on $FW_IP:5001 (tcp+udp" \
                "mqtt connecting to mqtt://$HOST_IP:1883" "snmp agent listening on $FW_IP:161"; do
            wait_log "$WORK/tap.log" "$line" 10 || { svc_up=0; echo "    missing: $line"; }
        done
        if [ "$svc_up" -eq 1 ]; then
            ok "tap: start lines: tftp on $FW_IP:69, iperf on $FW_IP:5001 (tcp+udp), mqtt to $HOST_IP:1883, snmp on $FW_IP:161"
        else
            bad "tap: service start lines" "$WORK/tap.log"
        fi

        # TFTP (tftp-hpa exits 0 even on errors: compare the bytes).
        if have tftp; then
            rm -f "$WORK/got.bin"
            (cd "$WORK" && timeout 30 ip netns exec "$NS" tftp "$FW_IP" -m binary -c get test.bin got.bin) \
                >"$WORK/tftp1.log" 2>&1
            if cmp -s "$WORK/got.bin" "$WORK/test.bin.expect"; then
                ok "tap: tftp-hpa get test.bin: 65536 bytes identical to the generated content"
            else
                bad "tftp-hpa get test.bin" "$WORK/tftp1.log"
            fi
            head -c 3000 /dev/urandom >"$WORK/up.bin"
            rm -f "$WORK/back.bin"
            (cd "$WORK" && timeout 30 ip netns exec "$NS" tftp "$FW_IP" -m binary -c put up.bin up.bin \
                && timeout 30 ip netns exec "$NS" tftp "$FW_IP" -m binary -c get up.bin back.bin) \
                >"$WORK/tftp2.log" 2>&1
            if cmp -s "$WORK/up.bin" "$WORK/back.bin"; then
                ok "tap: tftp-hpa put 3000 B then get back: identical"
            else
                bad "tftp-hpa put then get" "$WORK/tftp2.log"
            fi
            # Larger than an upload slot (4 KiB): the firmware fails the
            # transfer with "disk full", tells the client (ERROR 3: the error
            # datagram goes out even though the transfer socket is dropped
            # right after it), and stores nothing.
            head -c 12000 /dev/urandom >"$WORK/big.bin"
            (cd "$WORK" && printf 'binary\nrexmt 1\ntimeout 3\nput big.bin\nget big.bin big.back\n' \
                | timeout 30 ip netns exec "$NS" tftp "$FW_IP") >"$WORK/tftp3.log" 2>&1
            if wait_log "$WORK/tap.log" "failed: file system: disk full" 5 \
                && grep -q "Error code 3" "$WORK/tftp3.log" \
                && grep -q "Error code 1: file not found" "$WORK/tftp3.log"; then
                ok "tap: tftp-hpa put 12000 B (over the 4 KiB upload slot): ERROR 3 disk full, nothing stored (get: error 1)"
            else
                bad "tftp put over the upload limit" "$WORK/tftp3.log"
            fi
        fi
        if have atftp; then
            rm -f "$WORK/got2.bin"
            timeout 30 ip netns exec "$NS" atftp --option "blksize 1428" --get -r test.bin \
                -l "$WORK/got2.bin" "$FW_IP" >"$WORK/atftp.log" 2>&1
            if cmp -s "$WORK/got2.bin" "$WORK/test.bin.expect" \
                && grep -q "test.bin (blksize 1428" "$WORK/tap.log"; then
                ok "tap: atftp --option 'blksize 1428' get test.bin: identical, blksize 1428 granted"
            else
                bad "atftp blksize 1428 get" "$WORK/atftp.log"
            fi
        fi

        # iperf 2 (TCP), with a TFTP download running at the same time.
        if have iperf; then
            rm -f "$WORK/got3.bin"
            (sleep 1; cd "$WORK" && timeout 30 ip netns exec "$NS" tftp "$FW_IP" -m binary -c get test.bin got3.bin) \
                >"$WORK/tftp4.log" 2>&1 &
            tpid=$!
            timeout 30 ip netns exec "$NS" iperf -c "$FW_IP" -t 3 >"$WORK/iperf.log" 2>&1
            irc=$?
            wait "$tpid"
            rate="$(grep -oE '[0-9.]+ [KMG]?bits/sec' "$WORK/iperf.log" | tail -1)"
            if [ "$irc" -eq 0 ] && [ -n "$rate" ] && wait_log "$WORK/tap.log" "iperf .*(summary, received" 5; then
                ok "tap: iperf -c $FW_IP -t 3: $rate (QEMU over TAP; firmware: $(grep -oE '[0-9.]+ [KMG]?bits/sec \(summary' "$WORK/tap.log" | tail -1 | sed 's/ (summary//'))"
            else
                bad "iperf -c $FW_IP -t 3 (exit $irc)" "$WORK/iperf.log"
            fi
            if cmp -s "$WORK/got3.bin" "$WORK/test.bin.expect"; then
                ok "tap: tftp get during the iperf test: intact"
            else
                bad "tftp get during iperf" "$WORK/tftp4.log"
            fi
        fi

        # SNMP v2c (net-snmp's tools; MIBS= keeps them from loading MIB files).
        if have snmpget snmpwalk; then
            if MIBS= timeout 20 ip netns exec "$NS" snmpget -v2c -c public -On -t 2 -r 2 "$FW_IP" \
                    1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.5.0 >"$WORK/snmpget.log" 2>&1 \
                && grep -q '^.1.3.6.1.2.1.1.1.0 = STRING: "\?Petrel .*mps2-an386' "$WORK/snmpget.log" \
                && grep -q "^.1.3.6.1.2.1.1.5.0 = STRING: \"\?$DEVICE" "$WORK/snmpget.log"; then
                ok "tap: snmpget -v2c -c public sysDescr.0 sysName.0: $(head -1 "$WORK/snmpget.log" | cut -c1-90)"
            else
                bad "snmpget sysDescr.0" "$WORK/snmpget.log"
            fi
            MIBS= timeout 30 ip netns exec "$NS" snmpwalk -v2c -c public -On -t 2 -r 2 "$FW_IP" \
                1.3.6.1.2.1.2 >"$WORK/snmpwalk.log" 2>&1
            # ifDescr.1 = eth0, ifPhysAddress.1 = the NIC's MAC, ifInOctets.1 > 0.
            if grep -q '^.1.3.6.1.2.1.2.2.1.2.1 = STRING: "\?eth0' "$WORK/snmpwalk.log" \
                && grep -qi '^.1.3.6.1.2.1.2.2.1.6.1 = Hex-STRING: 02 00 00 00 00 02' "$WORK/snmpwalk.log" \
                && grep -qE '^.1.3.6.1.2.1.2.2.1.10.1 = Counter32: [1-9]' "$WORK/snmpwalk.log"; then
                ok "tap: snmpwalk -v2c 1.3.6.1.2.1.2 (interfaces): $(wc -l <"$WORK/snmpwalk.log") objects, ifDescr eth0, MAC, ifInOctets > 0"
            else
                bad "snmpwalk interfaces" "$WORK/snmpwalk.log"
            fi
            if MIBS= timeout 20 ip netns exec "$NS" snmpget -v2c -c private -On -t 1 -r 0 "$FW_IP" \
                    1.3.6.1.2.1.1.1.0 >"$WORK/snmpbad.log" 2>&1; then
                bad "snmpget with a wrong community was answered" "$WORK/snmpbad.log"
            elif grep -q "Timeout" "$WORK/snmpbad.log"; then
                ok "tap: snmpget with community 'private': no answer (timeout)"
            else
                bad "snmpget with a wrong community" "$WORK/snmpbad.log"
            fi
        fi

        # MQTT through the namespace's mosquitto.
        if [ -n "$MOSQ_PID" ] && have mosquitto_sub mosquitto_pub; then
            if wait_log "$WORK/tap.log" "mqtt subscribed to petrel/$DEVICE/cmd/#" 20; then
                ok "tap: mqtt connected to mosquitto on $HOST_IP:1883 and subscribed to petrel/$DEVICE/cmd/#"
            else
                bad "mqtt did not connect and subscribe" "$WORK/tap.log"
            fi
            timeout 25 ip netns exec "$NS" mosquitto_sub -h "$HOST_IP" -t 'petrel/#' -C 1 -W 20 -v \
                >"$WORK/telemetry.txt" 2>&1
            if python3 - "$WORK/telemetry.txt" "$DEVICE" <<'PY'
import json, sys
topic, _, body = open(sys.argv[1]).read().strip().partition(' ')
assert topic == f"petrel/{sys.argv[2]}/telemetry", topic
j = json.loads(body)
assert j["device"] == sys.argv[2] and j["uptime_s"] >= 0
i = j["interfaces"][0]
assert i["name"] == "eth0" and i["in_octets"] > 0 and i["out_octets"] > 0
PY
            then
                ok "tap: mosquitto_sub got telemetry JSON on petrel/$DEVICE/telemetry ($(wc -c <"$WORK/telemetry.txt") B, parses, counters non-zero)"
            else
                bad "mqtt telemetry" "$WORK/telemetry.txt"
            fi
            # The reply subscriber first; then ping once a second until it
            # has seen pong (at most 10 pings).
            timeout 20 ip netns exec "$NS" mosquitto_sub -h "$HOST_IP" -t "petrel/$DEVICE/reply" -C 1 -W 15 -v \
                >"$WORK/reply.txt" 2>&1 &
            spid=$!
            for _ in $(seq 10); do
                sleep 1
                kill -0 "$spid" 2>/dev/null || break
                timeout 5 ip netns exec "$NS" mosquitto_pub -h "$HOST_IP" -t "petrel/$DEVICE/cmd/ping" -m ping
            done
            wait "$spid"
            if grep -qx "petrel/$DEVICE/reply pong" "$WORK/reply.txt"; then
                ok "tap: mosquitto_pub ping to petrel/$DEVICE/cmd/ping -> pong on petrel/$DEVICE/reply"
            else
                bad "mqtt ping/pong" "$WORK/reply.txt"
            fi
            # Stack high-water after every test above, as the firmware
            # reports it in its next telemetry message.
            timeout 25 ip netns exec "$NS" mosquitto_sub -h "$HOST_IP" -t "petrel/$DEVICE/telemetry" -C 1 -W 20 \
                >"$WORK/telemetry2.txt" 2>&1
            hw="$(grep -oE '"stack_high_water_b":[0-9]+' "$WORK/telemetry2.txt" | cut -d: -f2)"
            [ -n "$hw" ] && echo "    stack high-water after the tests: $hw B (telemetry)"
        fi
        grep -E "mem: stack high-water" "$WORK/tap.log" | tail -1 | sed 's/^/    /'
    else
        bad "tap: firmware did not come up" "$WORK/tap.log"
    fi
    stop_qemu
    stop_mosquitto
    ip netns del "$NS" 2>/dev/null
else
    bad "tap: cannot create namespace $NS with tap0 (root needed)"
    ip netns del "$NS" 2>/dev/null
fi

# ---- 4. user networking with hostfwd on 127.0.0.1 ------------------------
# TCP only: with restrict=on, slirp (libslirp 4.7) drops the guest's UDP
# replies even on a hostfwd'd port (the echo leaves the firmware, as a
# filter-dump shows, and never reaches 127.0.0.1); UDP echo and SNMP
# (`hostfwd=udp:…-:161`: the agent answers, slirp drops the reply) are
# covered over TAP above.
PORT="$(free_port)"
"${QEMU[@]}" \
    -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$PORT-:7" \
    "${NIC[@]}" -kernel "$WORK/fw-dhcp.elf" </dev/null >"$WORK/user.log" 2>&1 &
QEMU_PID=$!
if wait_log "$WORK/user.log" "echo udp listening on 10.0.2.15:7" 30; then
    ok "user: DHCP address 10.0.2.15, echo listening"
    if timeout 60 python3 "$PEER" tcp 127.0.0.1 "$PORT" 65536 >"$WORK/ut.log" 2>&1; then
        ok "user: hostfwd $(cat "$WORK/ut.log")"
    else
        bad "user: tcp echo through hostfwd 127.0.0.1:$PORT" "$WORK/ut.log"
    fi
else
    bad "user: firmware did not get an address" "$WORK/user.log"
fi
stop_qemu

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
