#!/usr/bin/env bash
# E2E (ctest label e2e): rootfs/build-rootfs.sh builds the Firecracker ext4 image from this
# tree without root (as root it drops to nobody to prove it), and the image holds what the
# microVM needs: a static, root-owned /sbin/taskd identical to the build, /sbin/init pointing at
# it, the guest config, busybox, taskctl and a world-writable sticky /tmp.
#   rootfs_image_test.sh --taskd PATH --taskctl PATH --work DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
while (($#)); do
  case $1 in
    --taskd) taskd=$2; shift 2 ;;
    --taskctl) taskctl=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
fail() { echo "FAIL: $*"; exit 1; }
for tool in mkfs.ext4 debugfs e2fsck; do
  command -v $tool >/dev/null || { echo "SKIP: $tool missing (apt-get install e2fsprogs)"; exit 77; }
done
[[ -x /bin/busybox ]] || { echo "SKIP: no /bin/busybox (apt-get install busybox-static)"; exit 77; }

rm -rf "$work" && mkdir -p "$work"
image=$work/rootfs.ext4
build=("$top/rootfs/build-rootfs.sh" --taskd "$taskd" --taskctl "$taskctl" --ext4 "$image")
if [[ $(id -u) == 0 ]]; then
  chmod 0777 "$work"
  setpriv --reuid=65534 --regid=65534 --clear-groups env TMPDIR="$work" "${build[@]}"
else
  "${build[@]}"
fi

stat_of() { debugfs -R "stat $1" "$image" 2>/dev/null | head -n 3; }
stat_of /sbin/taskd | grep -q "Mode:  0755" || fail "/sbin/taskd mode: $(stat_of /sbin/taskd)"
stat_of /sbin/taskd | grep -Eq "User: +0 +Group: +0" || fail "/sbin/taskd is not root's"
stat_of /tmp | grep -q "Mode:  01777" || fail "/tmp mode: $(stat_of /tmp)"
debugfs -R "dump /sbin/taskd $work/taskd.out" "$image" 2>/dev/null
cmp -s "$taskd" "$work/taskd.out" || fail "/sbin/taskd differs from $taskd"
debugfs -R "cat /etc/taskd.toml" "$image" 2>/dev/null | cmp -s - "$top/rootfs/taskd.toml" ||
  fail "/etc/taskd.toml differs from rootfs/taskd.toml"
links=$(debugfs -R "ls -l /sbin" "$image" 2>/dev/null; debugfs -R "ls -l /bin" "$image" 2>/dev/null)
grep -q " init" <<<"$links" || fail "no /sbin/init"
[[ $(debugfs -R "stat /sbin/init" "$image" 2>/dev/null | grep -o 'Fast link dest: ".*"') == 'Fast link dest: "taskd"' ]] ||
  fail "/sbin/init does not point at taskd"
grep -q " sh" <<<"$links" || fail "no /bin/sh"
debugfs -R "stat /usr/bin/taskctl" "$image" 2>/dev/null | grep -q "Mode:  0755" || fail "no taskctl"
e2fsck -fn "$image" >/dev/null 2>&1 || fail "e2fsck: the image is not clean"
echo "rootfs: PASS $(du -k "$image" | cut -f1) KiB on disk; taskd $(stat -c %s "$taskd") bytes"
