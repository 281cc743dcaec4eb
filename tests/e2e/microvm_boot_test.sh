#!/usr/bin/env bash
# E2E (ctest label e2e): boots the static taskd as PID 1 of a QEMU microvm with a Debian cloud
# kernel, from an initramfs built by rootfs/build-rootfs.sh out of this tree. In the guest,
# /sbin/taskd-init loads vsock, vsock_loopback and their dependency from the kernel's own package,
# then execs taskd; tests/e2e/overlay/e2e/guest-check.sh runs the real taskctl against
# vsock:1:52 and prints E2E-RESULT on the serial console; then taskd powers the VM off.
#
#   microvm_boot_test.sh --taskd PATH --taskctl PATH --work DIR [--timeout SECONDS]
#
# Environment: TASKD_E2E_CACHE (default /var/tmp/taskd-e2e-cache) keeps the kernel package so
# repeated runs need no network; TASKD_E2E_ACCEL=auto|tcg|kvm (auto: KVM when a bounded probe
# boot succeeds, else TCG; the nested KVM of these CI machines fails, so TCG is what runs here).
# Exit 77 (ctest SKIP) only when qemu, busybox or a kernel cannot be installed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
taskd="" taskctl="" work="" timeout=120
while (($#)); do
  case $1 in
    --taskd) taskd=$2; shift 2 ;;
    --taskctl) taskctl=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -n $taskd && -n $taskctl && -n $work ]] || { echo "usage: $0 --taskd P --taskctl P --work D" >&2; exit 2; }
cache=${TASKD_E2E_CACHE:-/var/tmp/taskd-e2e-cache}
accel=${TASKD_E2E_ACCEL:-auto}
started=$(date +%s.%N)

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
elapsed() { awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

# Installs Debian packages when we may (root with apt); true when they are there afterwards.
ensure_packages() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  ((${#missing[@]} == 0)) && return 0
  [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null || return 1
  echo "e2e: installing ${missing[*]}"
  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends "${missing[@]}") >/dev/null 2>&1
}

ensure_packages qemu-system-x86 || true
command -v qemu-system-x86_64 >/dev/null ||
  skip "qemu-system-x86_64 is not installed and could not be (apt-get install qemu-system-x86)"
ensure_packages busybox-static cpio || true
if [[ ! -x /bin/busybox ]] || ! command -v cpio >/dev/null; then
  skip "busybox-static or cpio is not installed and could not be"
fi

# --- The kernel: a Debian cloud kernel and its own vsock modules, cached across runs ----------
find_kernel() { compgen -G "$cache/kernel/boot/vmlinuz-*" | head -n1; }
fetch_kernel() {
  command -v apt-get >/dev/null || return 1
  # The versioned package the meta-package currently points at, e.g. linux-image-6.1.0-57-cloud-amd64.
  local package
  package=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
    awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
  if [[ -z $package && $(id -u) == 0 ]]; then
    apt-get update -q >/dev/null 2>&1 || true
    package=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
      awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
  fi
  [[ -n $package ]] || return 1
  echo "e2e: downloading $package into $cache (once)"
  local download
  download=$(mktemp -d "$cache/download.XXXXXX")
  chmod 0755 "$download"
  (cd "$download" && apt-get download "$package" >/dev/null 2>&1) || { rm -rf "$download"; return 1; }
  rm -rf "$cache/kernel.new" && mkdir -p "$cache/kernel.new"
  dpkg -x "$download"/*.deb "$cache/kernel.new" && rm -rf "$download" &&
    rm -rf "$cache/kernel" && mv "$cache/kernel.new" "$cache/kernel"
}
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9  # one download at a time when runs overlap
[[ -n $(find_kernel) ]] || fetch_kernel || true
flock -u 9
kernel=$(find_kernel)
[[ -n $kernel ]] || skip "no Debian cloud kernel in $cache and none could be downloaded (apt-get download linux-image-<version>-cloud-amd64)"
version=${kernel##*/vmlinuz-}
vsock_dir=$cache/kernel/lib/modules/$version/kernel/net/vmw_vsock
modules=()
for module in vsock vmw_vsock_virtio_transport_common vsock_loopback; do  # load order
  [[ -f $vsock_dir/$module.ko ]] || fail "$vsock_dir/$module.ko missing from the kernel package"
  modules+=(--module "$vsock_dir/$module.ko")
done

# --- The initramfs, from this tree --------------------------------------------------------
mkdir -p "$work"
initrd=$work/initrd.cpio.gz
console=$work/console.log
"$top/rootfs/build-rootfs.sh" --taskd "$taskd" --taskctl "$taskctl" \
  --config "$here/guest-taskd.toml" --overlay "$here/overlay" "${modules[@]}" \
  --initramfs "$initrd" >/dev/null

# The guest's TSC runs at the host's rate under TCG; telling the kernel skips a calibration
# that hangs about one boot in ten (PLATFORM.md).
tsc_khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
tsc_khz=${tsc_khz:-2445000}

# boot ACCEL SECONDS: runs the VM until it powers off (or the timeout); qemu's status.
boot() {
  local cpu=max
  [[ $1 == kvm ]] && cpu=host
  : >"$console"
  local status=0
  timeout "$2" qemu-system-x86_64 -M microvm -accel "$1" -cpu "$cpu" -smp 1 -m 512 \
    -nodefaults -no-user-config -display none -serial stdio -no-reboot \
    -kernel "$kernel" -initrd "$initrd" \
    -append "console=ttyS0 rdinit=/init panic=-1 pci=off quiet tsc_early_khz=$tsc_khz" \
    </dev/null >"$console" 2>&1 || status=$?
  return $status
}

used=tcg
boot_started=$(date +%s.%N)
if [[ $accel != tcg && -w /dev/kvm ]]; then
  # Nested KVM here aborts at once ("failed to set MSR") or hangs; bound the probe tightly.
  if boot kvm 30 && grep -q "E2E-RESULT" "$console"; then used=kvm; else
    echo "e2e: KVM boot failed ($(grep -m1 -o 'failed to set MSR[^ ]*\|Assertion.*' "$console" || echo 'no result')); using TCG"
    [[ $accel == kvm ]] && fail "TASKD_E2E_ACCEL=kvm but KVM does not boot"
    boot_started=$(date +%s.%N)
  fi
fi
status=0
[[ $used == tcg ]] && { boot tcg "$timeout" || status=$?; }
wall=$(awk -v s="$boot_started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

echo "---- guest console (last 40 lines of $console) ----"
tail -n 40 "$console" | tr -d '\r'
echo "----"
[[ $status == 124 ]] && fail "the VM did not power off within ${timeout}s"
grep -q "Kernel panic" "$console" && fail "kernel panic in the guest"
grep -q "E2E-RESULT PASS" "$console" || fail "no 'E2E-RESULT PASS' on the console"
grep -q "init: listening boot_to_ready_ms=" "$console" || fail "taskd did not start in init mode"
grep -q "announced ready target=vsock:1:52" "$console" || fail "taskd did not announce over vsock"
grep -Eq "init: (power off|reset) now" "$console" || fail "the VM did not power off through taskd"

ready_ms=$(grep -o "boot_to_ready_ms=[0-9]*" "$console" | head -n1 | cut -d= -f2)
echo "boot_to_ready_ms=$ready_ms accel=$used vm_wall_s=$wall kernel=$version" >"$work/e2e-boot.txt"
echo "e2e: PASS accel=$used: kernel start to taskd listening (PID 1) ${ready_ms} ms of guest time;" \
  "VM powered off by taskd after ${wall} s wall; test total $(elapsed) s"
