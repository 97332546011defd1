#!/usr/bin/env bash
# Boot payload for the end-to-end tier (`npm run test:e2e`): a small Linux kernel from Debian's
# cloud kernel package and a tiny busybox initramfs whose /init prints
#   SWIFTBOOT-E2E-MARKER cmdline=<contents of /proc/cmdline>
# on the serial port and powers the machine off; plus a 1 MiB "local disk" whose boot sector
# prints SWIFTBOOT-E2E-LOCAL-DISK (through the BIOS, which SeaBIOS mirrors to the serial
# console) and halts, to tell "left the network boot for the local disk" apart; and a second
# initramfs, initrd-callback.gz, with the kernel's virtio-net modules, whose /init reads
# `swiftboot.callback=<URL>` from /proc/cmdline, brings eth0 up (QEMU user networking), reports
# with busybox wget (`e2e.report=done|fail`; `e2e.inventory=1` adds an inventory with the
# machine's MAC, CPU count and memory) and prints
#   SWIFTBOOT-E2E-REPORT rc=<wget's exit code> <the answer>
# before the marker line.
#
# Usage:
#   scripts/e2e-payload.sh install    apt-get install every system package the e2e tier needs
#                                     (root): the payload's and QEMU's, the local Swift's
#                                     (scripts/swift-aio.sh) and Java for swiftboot's DynamoDB Local
#   scripts/e2e-payload.sh packages   print those package names, one per line
#   scripts/e2e-payload.sh [build]    build the payload into the cache dir (idempotent) and print
#                                     KEY=VALUE lines: CACHE_DIR, KERNEL, INITRD,
#                                     INITRD_CALLBACK, LOCAL_DISK, KERNEL_PACKAGE
#
# Environment:
#   SWIFTBOOT_E2E_CACHE           cache dir (default: <repo>/.cache/e2e)
#   SWIFTBOOT_E2E_KERNEL_PACKAGE  kernel package to use (default: what linux-image-cloud-amd64
#                                 depends on, e.g. linux-image-6.1.0-56-cloud-amd64)
set -euo pipefail

PACKAGES=(
  qemu-system-x86 ipxe ipxe-qemu busybox-static cpio ovmf
  gcc libc6-dev binutils make perl liblzma-dev openssl dnsmasq-base iproute2
  swift swift-proxy swift-account swift-container swift-object memcached python3-swiftclient
  openjdk-17-jre-headless
)
MARKER="SWIFTBOOT-E2E-MARKER"
LOCAL_DISK_MARKER="SWIFTBOOT-E2E-LOCAL-DISK"
# Bump when the initramfs layout or /init changes, so cached builds are redone.
INITRD_VERSION=1
CALLBACK_INITRD_VERSION=1
# The virtio-net driver and what it needs, in load order (another order fails: unknown symbol).
VIRTIO_MODULES=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover
  net_failover virtio_net)

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${SWIFTBOOT_E2E_CACHE:-$repo/.cache/e2e}"

log() { echo "e2e-payload: $*" >&2; }

cmd_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${PACKAGES[@]}"
}

# The concrete kernel package (linux-image-<abi>-cloud-amd64) behind the meta-package.
resolve_kernel_package() {
  if [[ -n "${SWIFTBOOT_E2E_KERNEL_PACKAGE:-}" ]]; then
    echo "$SWIFTBOOT_E2E_KERNEL_PACKAGE"
    return
  fi
  apt-cache depends linux-image-cloud-amd64 2>/dev/null |
    sed -n 's/^ *|\{0,1\}Depends: \(linux-image-[^ ]*-cloud-amd64\).*$/\1/p' | head -n 1
}

build_kernel() {
  local pkg
  pkg="$(resolve_kernel_package || true)"
  if [[ -z "$pkg" ]]; then
    if [[ -s "$cache/vmlinuz" ]]; then
      log "cannot resolve linux-image-cloud-amd64 (apt lists missing?); reusing cached kernel"
      return
    fi
    log "cannot find a cloud kernel package: run 'apt-get update', or set SWIFTBOOT_E2E_KERNEL_PACKAGE"
    log "(candidates: apt-cache search 'linux-image.*cloud-amd64')"
    exit 1
  fi
  if [[ -s "$cache/vmlinuz" && -s "$cache/modules/virtio_net.ko" &&
    "$(cat "$cache/kernel-package" 2>/dev/null)" == "$pkg" ]]; then
    return
  fi
  log "fetching $pkg"
  local work
  work="$(mktemp -d "$cache/kernel.XXXXXX")"
  # apt-get download drops privileges to _apt when it can write the directory.
  chmod 0777 "$work"
  (cd "$work" && apt-get download -q "$pkg" >&2)
  dpkg -x "$work"/"$pkg"_*.deb "$work/root"
  local image
  image="$(find "$work/root/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n 1)"
  if [[ -z "$image" ]]; then
    log "no /boot/vmlinuz-* in $pkg"
    exit 1
  fi
  # The kernel's own virtio-net modules, for the callback initramfs.
  rm -rf "$cache/modules.tmp"
  mkdir -p "$cache/modules.tmp"
  local module found
  for module in "${VIRTIO_MODULES[@]}"; do
    found="$(find "$work/root/lib/modules" -name "$module.ko" | head -n 1)"
    if [[ -z "$found" ]]; then
      log "no $module.ko in $pkg"
      exit 1
    fi
    cp "$found" "$cache/modules.tmp/"
  done
  rm -rf "$cache/modules"
  mv "$cache/modules.tmp" "$cache/modules"
  cp "$image" "$cache/vmlinuz.tmp"
  mv "$cache/vmlinuz.tmp" "$cache/vmlinuz"
  echo "$pkg" >"$cache/kernel-package"
  rm -rf "$work"
}

build_initrd() {
  local busybox=/bin/busybox
  # The initrd has no libraries: busybox must be the statically linked build.
  if [[ ! -x "$busybox" ]] || ldd "$busybox" >/dev/null 2>&1; then
    log "$busybox missing or dynamically linked: apt-get install busybox-static"
    exit 1
  fi
  local stamp="v$INITRD_VERSION $(sha256sum "$busybox" | cut -d' ' -f1)"
  if [[ -s "$cache/initrd.gz" && "$(cat "$cache/initrd-stamp" 2>/dev/null)" == "$stamp" ]]; then
    return
  fi
  log "building initrd.gz"
  local work
  work="$(mktemp -d "$cache/initrd.XXXXXX")"
  local root="$work/root"
  mkdir -p "$root"/{bin,dev,proc,sys}
  cp "$busybox" "$root/bin/busybox"
  for applet in sh mount cat echo poweroff sleep; do
    ln -s busybox "$root/bin/$applet"
  done
  # A console node in case the kernel's built-in initramfs lacks one (needs root; /init also
  # mounts devtmpfs, so this is a belt to those braces).
  mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
  cat >"$root/init" <<EOF
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# Keep kernel messages from interleaving with the marker line.
echo 1 >/proc/sys/kernel/printk
out=/dev/console
[ -c /dev/ttyS0 ] && out=/dev/ttyS0
echo "$MARKER cmdline=\$(cat /proc/cmdline)" >"\$out"
poweroff -f
sleep 5
EOF
  chmod 0755 "$root/init"
  (cd "$root" && find . -print0 | LC_ALL=C sort -z |
    cpio --null --create --format=newc --owner=0:0 --quiet) | gzip -9n >"$work/initrd.gz"
  mv "$work/initrd.gz" "$cache/initrd.gz"
  echo "$stamp" >"$cache/initrd-stamp"
  rm -rf "$work"
}

build_callback_initrd() {
  local busybox=/bin/busybox
  local stamp
  stamp="v$CALLBACK_INITRD_VERSION $(sha256sum "$busybox" | cut -d' ' -f1) $(cat "$cache/kernel-package")"
  if [[ -s "$cache/initrd-callback.gz" && "$(cat "$cache/initrd-callback-stamp" 2>/dev/null)" == "$stamp" ]]; then
    return
  fi
  log "building initrd-callback.gz"
  local work
  work="$(mktemp -d "$cache/initrd-callback.XXXXXX")"
  local root="$work/root"
  mkdir -p "$root"/{bin,dev,proc,sys,lib/modules}
  cp "$busybox" "$root/bin/busybox"
  for applet in sh mount cat echo poweroff sleep insmod ip wget sed grep; do
    ln -s busybox "$root/bin/$applet"
  done
  cp "$cache"/modules/*.ko "$root/lib/modules/"
  mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
  cat >"$root/init" <<EOF
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo 1 >/proc/sys/kernel/printk
out=/dev/console
[ -c /dev/ttyS0 ] && out=/dev/ttyS0
cmdline="\$(cat /proc/cmdline)"
url=""
report=done
inventory=""
for arg in \$cmdline; do
  case "\$arg" in
    swiftboot.callback=*) url="\${arg#swiftboot.callback=}" ;;
    e2e.report=*) report="\${arg#e2e.report=}" ;;
    e2e.inventory=1) inventory=1 ;;
  esac
done
if [ -n "\$url" ]; then
  for m in ${VIRTIO_MODULES[*]}; do insmod /lib/modules/\$m.ko; done
  i=0
  while [ ! -e /sys/class/net/eth0 ] && [ \$i -lt 20 ]; do sleep 1; i=\$((i + 1)); done
  ip link set eth0 up
  ip addr add 10.0.2.15/24 dev eth0
  ip route add default via 10.0.2.2
  if [ -n "\$inventory" ]; then
    mem=\$((\$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo) / 1024))
    cpus=\$(grep -c ^processor /proc/cpuinfo)
    mac=\$(cat /sys/class/net/eth0/address)
    body="{\"status\":\"\$report\",\"inventory\":{\"macs\":[\"\$mac\"],\"memory_mib\":\$mem,\"cpu\":{\"count\":\$cpus}}}"
    answer="\$(wget -q -O- --header 'Content-Type: application/json' --post-data "\$body" "\$url" 2>&1)"
  else
    answer="\$(wget -q -O- --post-data "status=\$report" "\$url" 2>&1)"
  fi
  echo "SWIFTBOOT-E2E-REPORT rc=\$? \$answer" >"\$out"
fi
echo "$MARKER cmdline=\$cmdline" >"\$out"
poweroff -f
sleep 5
EOF
  chmod 0755 "$root/init"
  (cd "$root" && find . -print0 | LC_ALL=C sort -z |
    cpio --null --create --format=newc --owner=0:0 --quiet) | gzip -9n >"$work/initrd.gz"
  mv "$work/initrd.gz" "$cache/initrd-callback.gz"
  echo "$stamp" >"$cache/initrd-callback-stamp"
  rm -rf "$work"
}

# A raw disk whose MBR runs (16-bit real mode, loaded at 0x7c00):
#   cld; xor ax,ax; mov ds,ax; mov si,msg
#   l: mov ah,0x0e; lodsb; test al,al; jz h; xor bx,bx; int 0x10; jmp l
#   h: sti; hlt; jmp h
#   msg: "SWIFTBOOT-E2E-LOCAL-DISK", CR, LF, 0
build_local_disk() {
  local disk="$cache/local-disk.img"
  local tmp="$disk.tmp"
  truncate -s 0 "$tmp"
  truncate -s 1M "$tmp"
  {
    printf '\xfc\x31\xc0\x8e\xd8\xbe\x19\x7c'
    printf '\xb4\x0e\xac\x84\xc0\x74\x06\x31\xdb\xcd\x10\xeb\xf3'
    printf '\xfb\xf4\xeb\xfd'
    printf '%s\r\n\0' "$LOCAL_DISK_MARKER"
  } | dd of="$tmp" conv=notrunc status=none
  printf '\x55\xaa' | dd of="$tmp" bs=1 seek=510 conv=notrunc status=none
  # Cheap to make; replaced only when it changed, so a running QEMU never sees it rewritten.
  if cmp -s "$tmp" "$disk"; then
    rm -f "$tmp"
  else
    mv "$tmp" "$disk"
  fi
}

cmd_build() {
  mkdir -p "$cache"
  # One builder at a time per cache dir.
  exec 9>"$cache/.lock"
  flock 9
  build_kernel
  build_initrd
  build_callback_initrd
  build_local_disk
  echo "CACHE_DIR=$cache"
  echo "KERNEL=$cache/vmlinuz"
  echo "INITRD=$cache/initrd.gz"
  echo "INITRD_CALLBACK=$cache/initrd-callback.gz"
  echo "LOCAL_DISK=$cache/local-disk.img"
  echo "KERNEL_PACKAGE=$(cat "$cache/kernel-package")"
}

case "${1:-build}" in
install) cmd_install ;;
packages) printf '%s\n' "${PACKAGES[@]}" ;;
build) cmd_build ;;
*)
  echo "usage: $0 [install|packages|build]" >&2
  exit 2
  ;;
esac
