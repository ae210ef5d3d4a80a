#!/usr/bin/env bash
# Installs the real peers Petrel's tests talk to (see shared/PEERS.md) and the
# Rust pieces the checks need. Idempotent: only what is missing is installed.
# Starts no daemon. Needs root (apt-get) when something is missing.
set -euo pipefail

# Debian packages the tests use. curl and openssl are preinstalled and must
# not be listed (listing them upgrades libssl).
PACKAGES=(
  iproute2 iputils-ping python3 dnsmasq-base
  mosquitto mosquitto-clients
  snmp snmpd snmptrapd
  tftp-hpa tftpd-hpa atftp
  iperf
  avahi-daemon avahi-utils dbus bind9-dnsutils
  samba-common-bin samba nbtscan
  chrony
  wrk apache2-utils
  chromium fonts-dejavu-core
  qemu-system-arm binutils-arm-none-eabi
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-peers: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-peers: all ${#PACKAGES[@]} packages present"
fi

# Python mDNS peer (pip package, no daemon).
if ! python3 -c "import zeroconf" 2>/dev/null; then
  echo "install-peers: pip install zeroconf"
  pip install -q --disable-pip-version-check --break-system-packages zeroconf >/dev/null 2>&1 \
    || pip install -q --disable-pip-version-check zeroconf >/dev/null
fi

# The MCU target for the no_std builds and the firmware.
if ! rustup target list --installed 2>/dev/null | grep -qx thumbv7em-none-eabihf; then
  echo "install-peers: adding the thumbv7em-none-eabihf target"
  rustup target add thumbv7em-none-eabihf
fi
for c in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
done

# defmt-print decodes the firmware's log (defmt frames over semihosting).
DEFMT_PRINT_VERSION=1.2.0
if ! defmt-print --version 2>/dev/null | grep -q "$DEFMT_PRINT_VERSION"; then
  echo "install-peers: cargo install defmt-print $DEFMT_PRINT_VERSION (about a minute)"
  cargo install -q --locked defmt-print --version "=$DEFMT_PRINT_VERSION"
fi
