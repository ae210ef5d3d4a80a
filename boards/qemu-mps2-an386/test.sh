#!/usr/bin/env bash
# Tests for the qemu-mps2-an386 firmware: builds it, runs its self-test under
# QEMU user networking, then talks to it from real Linux peers over a TAP
# device in a network namespace this script creates (198.51.100.0/24), and
# through QEMU's hostfwd on 127.0.0.1 (and the rustls TLS probe build
# against openssl s_client). Over TAP: ping, TCP/UDP echo, TFTP
# (tftp-hpa, atftp), iperf 2, SNMP (net-snmp's snmpget/snmpwalk, MIB-2 and
# PETREL-MIB), HTTP (curl: dashboard with SSI, /api/status, /api/events, 4
# clients at once), mDNS (dig -p 5353, legacy unicast), NetBIOS (nmblookup
# with its own smb.conf), SNTP (a chronyd started in the namespace on
# 198.51.100.1:123, the firmware's default server) and MQTT through a
# mosquitto broker started in the namespace on 198.51.100.1:1883 (the
# firmware's default broker). Over hostfwd: TCP echo and curl.
#
# Needs (Debian): qemu-system-arm iputils-ping binutils-arm-none-eabi tftp-hpa
# atftp iperf mosquitto mosquitto-clients snmp curl bind9-dnsutils samba-common-bin chrony
# (and python3, iproute2, root for the
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
CHRONY_PID=""
# The firmware's MQTT name (PETREL_NAME's default; the builds unset it).
DEVICE=an386
PASS=0
FAIL=0

# The machine (QEMU, NIC) and the log decoder (decoder, decoder_wait,
# decoders_stop).
# shellcheck source=tools/qemu.sh
. "$HERE/tools/qemu.sh"

# stop_pid VAR TENTHS: stops the process whose pid is in $VAR (SIGTERM,
# then SIGKILL if it has not gone after TENTHS tenths of a second) and
# clears VAR.
stop_pid() {
    local pid="${!1}"
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null
        for _ in $(seq "$2"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        printf -v "$1" '%s' ""
    fi
}
stop_qemu() { stop_pid QEMU_PID 50; decoder_wait; }
stop_mosquitto() { stop_pid MOSQ_PID 30; }
stop_chrony() { stop_pid CHRONY_PID 30; }

cleanup() {
    stop_qemu
    stop_mosquitto
    stop_chrony
    decoders_stop
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

for tool in qemu-system-arm ping python3 ip cargo defmt-print; do
    if ! command -v "$tool" >/dev/null; then
        bad "missing tool: $tool (apt: qemu-system-arm iputils-ping python3 iproute2; cargo install defmt-print --locked --version 1.2.0)"
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
decoder "$WORK/selftest.log" "$WORK/fw-selftest.elf"
timeout 60 "${QEMU[@]}" \
    -netdev "user,id=n0,restrict=on,tftp=$WORK/tftp,guestfwd=tcp:10.0.2.100:7-cmd:cat" \
    "${NIC[@]}" -kernel "$WORK/fw-selftest.elf" </dev/null >"$WORK/selftest.log.fifo" 2>>"$WORK/selftest.log"
rc=$?
decoder_wait
if [ "$rc" -eq 0 ] && grep -q "selftest: PASS" "$WORK/selftest.log"; then
    ok "selftest exits 0 (memcpy/memmove/memset, 64-bit division, driver, DHCP, TCP echo via guestfwd, UDP via TFTP)"
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
    # chronyd serving its own clock on $HOST_IP:123 (the firmware's default
    # SNTP server) without touching the host's clock (-x).
    if command -v chronyd >/dev/null; then
        mkdir -p "$WORK/chrony"
        printf 'port 123\nbindaddress %s\nallow 198.51.100.0/24\nlocal stratum 8\ncmdport 0\npidfile %s/chronyd.pid\ndriftfile %s/drift\n' \
            "$HOST_IP" "$WORK/chrony" "$WORK/chrony" >"$WORK/chrony/chrony.conf"
        ip netns exec "$NS" chronyd -x -d -u root -f "$WORK/chrony/chrony.conf" >"$WORK/chrony.log" 2>&1 &
        CHRONY_PID=$!
    fi
    decoder "$WORK/tap.log" "$WORK/fw-static.elf"
    ip netns exec "$NS" "${QEMU[@]}" \
        -netdev tap,id=n0,ifname=tap0,script=no,downscript=no "${NIC[@]}" \
        -kernel "$WORK/fw-static.elf" </dev/null >"$WORK/tap.log.fifo" 2>>"$WORK/tap.log" &
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
                "mqtt connecting to mqtt://$HOST_IP:1883" "snmp agent listening on $FW_IP:161" \
                "http listening on $FW_IP:80" "mdns responder on udp/5353" \
                "netbios listening on $FW_IP:137" "sntp client polling $HOST_IP:123"; do
            wait_log "$WORK/tap.log" "$line" 10 || { svc_up=0; echo "    missing: $line"; }
        done
        if [ "$svc_up" -eq 1 ]; then
            ok "tap: start lines: tftp on $FW_IP:69, iperf on $FW_IP:5001 (tcp+udp), mqtt to $HOST_IP:1883, snmp on $FW_IP:161, http on $FW_IP:80, mdns on 5353, netbios on $FW_IP:137"
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
            head -c 1500 /dev/urandom >"$WORK/up.bin"
            rm -f "$WORK/back.bin"
            (cd "$WORK" && timeout 30 ip netns exec "$NS" tftp "$FW_IP" -m binary -c put up.bin up.bin \
                && timeout 30 ip netns exec "$NS" tftp "$FW_IP" -m binary -c get up.bin back.bin) \
                >"$WORK/tftp2.log" 2>&1
            if cmp -s "$WORK/up.bin" "$WORK/back.bin"; then
                ok "tap: tftp-hpa put 1500 B then get back: identical"
            else
                bad "tftp-hpa put then get" "$WORK/tftp2.log"
            fi
            # Larger than an upload slot (2 KiB): the firmware fails the
            # transfer with "disk full", tells the client (ERROR 3: the error
            # datagram goes out even though the transfer socket is dropped
            # right after it), and stores nothing.
            head -c 12000 /dev/urandom >"$WORK/big.bin"
            (cd "$WORK" && printf 'binary\nrexmt 1\ntimeout 3\nput big.bin\nget big.bin big.back\n' \
                | timeout 30 ip netns exec "$NS" tftp "$FW_IP") >"$WORK/tftp3.log" 2>&1
            if wait_log "$WORK/tap.log" "failed: FileSystem(DiskFull)" 5 \
                && grep -q "Error code 3" "$WORK/tftp3.log" \
                && grep -q "Error code 1: file not found" "$WORK/tftp3.log"; then
                ok "tap: tftp-hpa put 12000 B (over the 2 KiB upload slot): ERROR 3 disk full, nothing stored (get: error 1)"
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
            # PETREL-MIB (enterprises.32473): temperature, uptime, device name.
            if MIBS= timeout 20 ip netns exec "$NS" snmpget -v2c -c public -On -t 2 -r 2 "$FW_IP" \
                    1.3.6.1.4.1.32473.1.1.1.0 1.3.6.1.4.1.32473.1.1.4.0 1.3.6.1.4.1.32473.1.1.5.0 \
                    >"$WORK/petrelmib.log" 2>&1 \
                && grep -q '^.1.3.6.1.4.1.32473.1.1.1.0 = INTEGER: 250$' "$WORK/petrelmib.log" \
                && grep -qE '^.1.3.6.1.4.1.32473.1.1.4.0 = Gauge32: [1-9]' "$WORK/petrelmib.log" \
                && grep -q "^.1.3.6.1.4.1.32473.1.1.5.0 = STRING: \"\?$DEVICE" "$WORK/petrelmib.log"; then
                ok "tap: snmpget PETREL-MIB petrelTemperature.0 (250 = 25.0 C), petrelUptimeSecs.0, petrelDeviceName.0 ($DEVICE)"
            else
                bad "snmpget PETREL-MIB scalars" "$WORK/petrelmib.log"
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

        # HTTP: the dashboard (SSI filled in) and the JSON API.
        if have curl; then
            if timeout 20 ip netns exec "$NS" curl -sS -m 10 -o "$WORK/index.html" -w '%{http_code}' \
                    "http://$FW_IP/" >"$WORK/http.code" 2>"$WORK/http.err" \
                && grep -qx 200 "$WORK/http.code" \
                && grep -q "<h1 id=\"name\">$DEVICE</h1>" "$WORK/index.html" \
                && ! grep -q '<!--#' "$WORK/index.html"; then
                ok "tap: curl http://$FW_IP/: 200, dashboard $(wc -c <"$WORK/index.html") B, SSI device name \"$DEVICE\" filled in"
            else
                cat "$WORK/http.err" >>"$WORK/index.html"
                bad "curl dashboard /" "$WORK/index.html"
            fi
            timeout 20 ip netns exec "$NS" curl -sS -m 10 -D "$WORK/status.head" \
                "http://$FW_IP/api/status" >"$WORK/status.json" 2>&1
            if python3 - "$WORK/status.json" "$DEVICE" "$FW_IP" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["device"]["name"] == sys.argv[2], j["device"]
assert j["device"]["uptime_s"] > 0
i = j["interfaces"][0]
assert i["ipv4"] == sys.argv[3] + "/24" and i["mac"] == "02:00:00:00:00:02" and i["rx_bytes"] > 0, i
assert {"local": "0.0.0.0:80"} in j["connections"]["tcp_listeners"], j["connections"]
assert any(c["local"] == sys.argv[3] + ":80" for c in j["connections"]["tcp"]), j["connections"]
assert "http" in [s["name"] for s in j["services"]]
PY
            then
                ok "tap: curl /api/status: JSON parses ($(wc -c <"$WORK/status.json") B): device, eth0 address/MAC/counters, tcp/80 listener and this connection"
            else
                bad "curl /api/status" "$WORK/status.json"
            fi
            # Server-Sent Events: two stats events within 3 s.
            timeout 10 ip netns exec "$NS" curl -sS -N -m 3 "http://$FW_IP/api/events" >"$WORK/events.txt" 2>/dev/null
            if [ "$(grep -c '^event: stats' "$WORK/events.txt")" -ge 2 ] \
                && grep -m1 '^data: ' "$WORK/events.txt" | cut -c7- | python3 -c 'import json,sys; assert json.load(sys.stdin)["rx_bytes"] > 0'; then
                ok "tap: curl /api/events: $(grep -c '^event: stats' "$WORK/events.txt") stats events in 3 s, JSON data"
            else
                bad "curl /api/events" "$WORK/events.txt"
            fi
            # The dashboard's download test: 1 MiB, byte i = i % 251.
            timeout 60 ip netns exec "$NS" curl -sS -m 50 -o "$WORK/dl.bin" -w '%{speed_download}' \
                "http://$FW_IP/api/download?bytes=1048576" >"$WORK/dl.speed" 2>"$WORK/dl.log"
            if python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
assert len(b) == 1048576 and b == bytes(i % 251 for i in range(len(b)))' "$WORK/dl.bin" 2>>"$WORK/dl.log"; then
                ok "tap: curl /api/download?bytes=1048576: pattern intact, $(awk '{printf "%.2f MB/s", $1 / 1e6}' "$WORK/dl.speed")"
            else
                bad "curl /api/download" "$WORK/dl.log"
            fi
            # Four clients at once (the server's connections), each fetching
            # the dashboard and a gzip asset, right after the /api/events
            # client above left: its stream must have freed its slot on the
            # client's FIN (SseStream::wait), or one of these gets 503.
            # The packer stores app.js without indentation, blank lines and
            # whole-line // comments (webroot pack's Options::strip_js).
            sed -e 's/^[[:blank:]]*//' -e '/^$/d' -e '\#^//#d' \
                "$HERE/../../webroot/www/app.js" >"$WORK/app.stripped.js"
            pids=()
            for i in 1 2 3 4; do
                timeout 30 ip netns exec "$NS" curl -sS -m 20 --compressed -o "$WORK/h$i.html" \
                    -o "$WORK/h$i.js" "http://$FW_IP/" "http://$FW_IP/app.js" >"$WORK/h$i.log" 2>&1 &
                pids+=($!)
            done
            hfail=0
            for i in 1 2 3 4; do
                wait "${pids[$((i - 1))]}" || hfail=1
                cmp -s "$WORK/h$i.js" "$WORK/app.stripped.js" || hfail=1
                grep -q "<h1 id=\"name\">$DEVICE</h1>" "$WORK/h$i.html" || hfail=1
            done
            if [ "$hfail" -eq 0 ]; then
                ok "tap: 4 concurrent curl clients: dashboard + app.js (gzip) identical to webroot/www (app.js as the packer strips it)"
            else
                for i in 1 2 3 4; do
                    printf 'client %s: ' "$i"; cat "$WORK/h$i.log"; echo
                    ls -l "$WORK/h$i.html" "$WORK/h$i.js" 2>&1
                done >"$WORK/hall.log"
                grep -E "http " "$WORK/tap.log" | tail -8 >>"$WORK/hall.log"
                bad "4 concurrent http clients" "$WORK/hall.log"
            fi
            # The webroot is packed gzip-only (feature petrel-webroot/gzip-only):
            # app.css exists only gzipped. --compressed decodes it; without
            # Accept-Encoding curl gets the gzip bytes (Content-Encoding: gzip);
            # a client that accepts identity only gets 406.
            CSS="$HERE/../../webroot/www/app.css"
            gfail=0
            timeout 20 ip netns exec "$NS" curl -sS -m 10 --compressed -o "$WORK/css.dec" \
                "http://$FW_IP/app.css" >"$WORK/gz.log" 2>&1 || gfail=1
            cmp -s "$WORK/css.dec" "$CSS" || { echo "--compressed: differs from $CSS" >>"$WORK/gz.log"; gfail=1; }
            timeout 20 ip netns exec "$NS" curl -sS -m 10 -D "$WORK/css.head" -o "$WORK/css.gz" \
                "http://$FW_IP/app.css" >>"$WORK/gz.log" 2>&1 || gfail=1
            { grep -qi '^content-encoding: gzip' "$WORK/css.head" \
                && grep -qi '^vary: accept-encoding' "$WORK/css.head" \
                && gzip -dc "$WORK/css.gz" | cmp -s - "$CSS"; } \
                || { cat "$WORK/css.head" >>"$WORK/gz.log"; gfail=1; }
            timeout 20 ip netns exec "$NS" curl -sS -m 10 -H 'Accept-Encoding: identity' \
                -o "$WORK/css.406" -w '%{http_code}' "http://$FW_IP/app.css" >"$WORK/css.code" 2>>"$WORK/gz.log"
            grep -qx 406 "$WORK/css.code" || { echo "identity: got $(cat "$WORK/css.code")" >>"$WORK/gz.log"; gfail=1; }
            if [ "$gfail" -eq 0 ]; then
                ok "tap: gzip-only app.css: --compressed decodes to webroot/www/app.css ($(wc -c <"$WORK/css.gz") B on the wire), no Accept-Encoding gets gzip, Accept-Encoding: identity gets 406"
            else
                bad "gzip-only webroot file" "$WORK/gz.log"
            fi
        fi

        # The dashboard in a real browser (headless Chromium over the
        # DevTools protocol, webroot/dev/browse.py): the page's JavaScript
        # fills the interface table from the firmware's /api/status, and as
        # the firmware has no settings API (404) the form says its settings
        # are fixed at build time instead of offering a Save that cannot work.
        if have chromium; then
            BROWSE="$HERE/../../webroot/dev/browse.py"
            if timeout 120 ip netns exec "$NS" python3 "$BROWSE" "http://$FW_IP/" --timeout 40 \
                    --wait "document.querySelectorAll('#ifaces tbody tr').length > 0 && document.getElementById('notice').textContent.indexOf('fixed when this firmware is built') >= 0 && document.querySelector('#settings button').disabled" \
                    --dom "$WORK/fw-dom.html" >"$WORK/browse.log" 2>&1; then
                ok "tap: chromium renders the dashboard: interface table from /api/status, settings form marked fixed at build time"
            else
                bad "tap: dashboard in chromium" "$WORK/browse.log"
            fi
        fi

        # mDNS: a legacy unicast query (source port != 5353) for the host
        # name and a DNS-SD browse of _http._tcp.
        if have dig; then
            wait_log "$WORK/tap.log" "mdns: claimed $DEVICE.local" 10
            timeout 15 ip netns exec "$NS" dig +time=2 +tries=3 +short -p 5353 @"$FW_IP" "$DEVICE.local" A \
                >"$WORK/dig.log" 2>&1
            timeout 15 ip netns exec "$NS" dig +time=2 +tries=3 -p 5353 @"$FW_IP" _http._tcp.local PTR \
                >"$WORK/dig2.log" 2>&1
            if grep -qx "$FW_IP" "$WORK/dig.log" \
                && grep -q "PTR.*$DEVICE._http._tcp.local" "$WORK/dig2.log"; then
                ok "tap: dig -p 5353 @$FW_IP $DEVICE.local: $FW_IP; _http._tcp.local PTR $DEVICE._http._tcp.local"
            else
                cat "$WORK/dig2.log" >>"$WORK/dig.log"
                bad "mdns dig" "$WORK/dig.log"
            fi
        fi
        # NetBIOS: nmblookup with its own smb.conf (nothing from /etc/samba).
        if have nmblookup; then
            mkdir -p "$WORK/smb"
            printf '[global]\n  interfaces = tap0\n  bind interfaces only = yes\n  lock directory = %s\n  state directory = %s\n  cache directory = %s\n  private dir = %s\n  pid directory = %s\n  ncalrpc dir = %s\n  log file = %s/log.%%m\n  local master = no\n  domain master = no\n  preferred master = no\n  wins support = no\n  dns proxy = no\n' \
                "$WORK/smb" "$WORK/smb" "$WORK/smb" "$WORK/smb" "$WORK/smb" "$WORK/smb" "$WORK/smb" \
                >"$WORK/smb/smb.conf"
            NBNAME="$(echo "$DEVICE" | tr a-z A-Z)"
            timeout 20 ip netns exec "$NS" nmblookup -s "$WORK/smb/smb.conf" -U "$FW_IP" "$DEVICE" \
                >"$WORK/nmb.log" 2>&1
            timeout 20 ip netns exec "$NS" nmblookup -s "$WORK/smb/smb.conf" -A "$FW_IP" \
                >>"$WORK/nmb.log" 2>&1
            if grep -q "^$FW_IP $DEVICE<00>" "$WORK/nmb.log" \
                && grep -qi "MAC Address = 02-00-00-00-00-02" "$WORK/nmb.log" \
                && grep -q "$NBNAME *<20>" "$WORK/nmb.log"; then
                ok "tap: nmblookup -U $FW_IP $DEVICE: $FW_IP; -A (node status): $NBNAME<20>, MAC 02-00-00-00-00-02"
            else
                bad "nmblookup" "$WORK/nmb.log"
            fi
        fi

        # SNTP: synced to the namespace's chronyd; the dashboard shows the time.
        if [ -n "$CHRONY_PID" ]; then
            if wait_log "$WORK/tap.log" "sntp: synced to $HOST_IP:123" 20 \
                && timeout 20 ip netns exec "$NS" curl -sS -m 10 "http://$FW_IP/api/status" \
                    | python3 -c '
import json, sys, time
t = json.load(sys.stdin)["time"]
assert t["synced"] and t["stratum"] == 8 and abs(t["now_unix_ms"] / 1000 - time.time()) < 60, t' \
                    >"$WORK/sntp.log" 2>&1; then
                ok "tap: sntp synced to chronyd on $HOST_IP:123 ($(grep -o 'sntp: synced to.*' "$WORK/tap.log" | head -1 | cut -c1-90)); /api/status time.synced, stratum 8, within 60 s of the host"
            else
                cat "$WORK/chrony.log" >>"$WORK/sntp.log"
                bad "sntp sync" "$WORK/sntp.log"
            fi
        else
            bad "missing tool: chronyd (apt: chrony)"
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
    stop_chrony
    decoders_stop
    ip netns del "$NS" 2>/dev/null
else
    bad "tap: cannot create namespace $NS with tap0 (root needed)"
    ip netns del "$NS" 2>/dev/null
fi

# ---- 3b. guest instructions: asleep when idle, cost per request ----------
# QEMU counts the instructions the firmware executes (tools/insn-count.c).
# Idle — here with no MQTT broker, so the client keeps retrying — it must
# sleep in `wfi`: a service that busy-waits shows as tens of millions of
# instructions per second (the MQTT back-off did: 110 M/s, now ~90 k/s).
# The bound is a count per second of emulated time, three orders of
# magnitude from either number, not a speed limit.
if have gcc curl && [ "$built" -eq 1 ]; then
    if N=100 "$HERE/tools/insn-per-request.sh" "$WORK/fw-static.elf" >"$WORK/insn.log" 2>&1; then
        idle=$(awk '/^idle background/ { print $NF }' "$WORK/insn.log")
        fav=$(awk '/favicon.svg \(keep-alive\)/ { print $NF }' "$WORK/insn.log")
        if [ -n "$idle" ] && [ -n "$fav" ] && [ "$idle" -lt 5000000 ] && [ "$fav" -gt 0 ]; then
            ok "insns: idle $idle instructions/s (sleeps in wfi with the MQTT broker down); $fav per kept-alive GET /favicon.svg"
            sed 's/^/    /' "$WORK/insn.log"
        else
            bad "insns: idle $idle instructions/s (limit 5000000), favicon $fav" "$WORK/insn.log"
        fi
    else
        bad "insns: tools/insn-per-request.sh" "$WORK/insn.log"
    fi
fi

# ---- 4. user networking with hostfwd on 127.0.0.1 ------------------------
# TCP only: with restrict=on, slirp (libslirp 4.7) drops the guest's UDP
# replies even on a hostfwd'd port (the echo leaves the firmware, as a
# filter-dump shows, and never reaches 127.0.0.1); UDP echo and SNMP
# (`hostfwd=udp:…-:161`: the agent answers, slirp drops the reply) are
# covered over TAP above.
PORT="$(free_port)"
HPORT="$(free_port)"
decoder "$WORK/user.log" "$WORK/fw-dhcp.elf"
"${QEMU[@]}" \
    -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$PORT-:7,hostfwd=tcp:127.0.0.1:$HPORT-:80" \
    "${NIC[@]}" -kernel "$WORK/fw-dhcp.elf" </dev/null >"$WORK/user.log.fifo" 2>>"$WORK/user.log" &
QEMU_PID=$!
if wait_log "$WORK/user.log" "echo udp listening on 10.0.2.15:7" 30; then
    ok "user: DHCP address 10.0.2.15, echo listening"
    if timeout 60 python3 "$PEER" tcp 127.0.0.1 "$PORT" 65536 >"$WORK/ut.log" 2>&1; then
        ok "user: hostfwd $(cat "$WORK/ut.log")"
    else
        bad "user: tcp echo through hostfwd 127.0.0.1:$PORT" "$WORK/ut.log"
    fi
    if command -v curl >/dev/null; then
        if timeout 30 curl -sS -m 20 -o "$WORK/uindex.html" "http://127.0.0.1:$HPORT/" >"$WORK/uh.log" 2>&1 \
            && grep -q "<h1 id=\"name\">$DEVICE</h1>" "$WORK/uindex.html" \
            && timeout 30 curl -sS -m 20 "http://127.0.0.1:$HPORT/api/status" 2>>"$WORK/uh.log" \
                | python3 -c 'import json,sys; j=json.load(sys.stdin); assert j["interfaces"][0]["ipv4"] == "10.0.2.15/24"' \
                2>>"$WORK/uh.log"; then
            ok "user: hostfwd curl http://127.0.0.1:$HPORT/ (dashboard, SSI name) and /api/status (ipv4 10.0.2.15/24)"
        else
            bad "user: curl dashboard through hostfwd" "$WORK/uh.log"
        fi
    fi
else
    bad "user: firmware did not get an address" "$WORK/user.log"
fi
stop_qemu

# ---- 5. rustls on the MCU: the TLS size probe against openssl s_client ----
# The measurement-only build (`tls-size-rustls`: rustls 0.23 with our
# pure-Rust provider, a heap, a TLS echo on tcp/4433; its randomness is NOT
# cryptographic) must complete real TLS 1.3 handshakes that OpenSSL
# verifies, with both AEADs, and echo data.
if have openssl && build tls-rustls --no-default-features --features "tls-size-rustls dhcp"; then
    openssl x509 -inform der -in "$HERE/src/tlsprobe/cert.der" -out "$WORK/tlsprobe.pem"
    TPORT="$(free_port)"
    decoder "$WORK/tls.log" "$WORK/fw-tls-rustls.elf"
    "${QEMU[@]}" \
        -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$TPORT-:4433" \
        "${NIC[@]}" -kernel "$WORK/fw-tls-rustls.elf" </dev/null >"$WORK/tls.log.fifo" 2>>"$WORK/tls.log" &
    QEMU_PID=$!
    if wait_log "$WORK/tls.log" "tls-rustls: size probe" 30; then
        for suite in TLS_AES_128_GCM_SHA256 TLS_CHACHA20_POLY1305_SHA256; do
            if (printf 'petrel over tls\n'; sleep 5) \
                    | timeout 60 openssl s_client -connect "127.0.0.1:$TPORT" -tls1_3 \
                        -ciphersuites "$suite" -CAfile "$WORK/tlsprobe.pem" \
                        -verify_return_error -brief \
                        >"$WORK/tls-$suite.out" 2>"$WORK/tls-$suite.err" \
                && grep -q "petrel over tls" "$WORK/tls-$suite.out" \
                && grep -q "Verification: OK" "$WORK/tls-$suite.err" \
                && grep -q "Ciphersuite: $suite" "$WORK/tls-$suite.err"; then
                ok "tls: openssl s_client -tls1_3 $suite to the firmware's rustls server: verified, echoed"
            else
                bad "tls: openssl s_client $suite to the firmware" "$WORK/tls-$suite.err"
            fi
        done
        grep -E "tls-rustls: (handshake done|heap)" "$WORK/tls.log" | sed 's/^/    /'
    else
        bad "tls: the rustls probe firmware did not start" "$WORK/tls.log"
    fi
    stop_qemu
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
