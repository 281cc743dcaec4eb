#!/bin/busybox sh
# Runs inside the e2e guest beside taskd (PID 1) and talks to it with the real taskctl over vsock
# loopback (CID 1, port 52). Prints one E2E-STEP line per check and one E2E-RESULT line on the
# serial console, which the host-side test reads, then asks taskd to shut down: taskd stops
# everything and powers the VM off. To add a check, add one `check NAME COMMAND...` line.
ctl() { /usr/bin/taskctl -s vsock:1:52 "$@"; }
failed=0
check() {
  name=$1
  shift
  if out=$("$@" 2>&1); then
    echo "E2E-STEP ok $name: $out"
  else
    echo "E2E-STEP FAIL $name (exit $?): $out"
    failed=1
  fi
}
# Like check, for a command that must fail.
check_fails() {
  name=$1
  shift
  if out=$("$@" 2>&1); then
    echo "E2E-STEP FAIL $name (succeeded): $out"
    failed=1
  else
    echo "E2E-STEP ok $name (failed as it should): $out"
  fi
}

# Until taskd-init has loaded the vsock modules, connect fails with ENODEV, which taskctl rightly
# does not retry; taskd's UNIX socket appears right after its vsock listener, so wait for that.
i=0
while [ ! -S /run/taskd.sock ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
check health ctl --connect-timeout 30 health
check version ctl version
check status ctl status          # the supervised heartbeat program is RUNNING
check exec ctl exec -- /bin/busybox echo exec-in-guest
# As the machine's init, taskd turned on the kernel's link protections (issue 10 finding 15).
check link_protections test "$(cat /proc/sys/fs/protected_symlinks /proc/sys/fs/protected_hardlinks \
  /proc/sys/fs/protected_regular /proc/sys/fs/protected_fifos | tr '\n' ' ')" = "1 1 2 2 "

# The CID filter: a second taskd that admits only the host refuses loopback peers. It is left
# running: PID 1 must stop it at shutdown.
/sbin/taskd -c /e2e/refusing-taskd.toml --foreground >/dev/null 2>&1 &
i=0
while [ ! -S /run/refusing/taskd.sock ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check_fails cid_filter /usr/bin/taskctl -s vsock:1:53 --connect-timeout 5 health
check refusal_logged grep -m1 "refused peer listener=vsock:any:53" /run/refusing/taskd.log

uptime=$(cut -d' ' -f1 /proc/uptime)
if [ "$failed" = 0 ]; then result=PASS; else result=FAIL; fi
echo "E2E-RESULT $result guest_uptime_s=$uptime"
check shutdown ctl shutdown
