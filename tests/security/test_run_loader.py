#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""An unmodified SGX program (examples/loader, written for the upstream driver) under
`softsgx run` with the SELinux module and the shipped policy (policy/):

1. as unconfined_t it builds, initializes and calls its enclave: exit 0, no AVC record;
2. as app_t it is stopped at open(/dev/sgx_enclave, O_RDWR): EACCES, one exact AVC record;
3. as app_t in permissive mode it runs, and the records name everything app_t lacks
   (the device's write, code from anonymous memory, INIT of an unlabeled enclave);
4. audit2allow's rules for those records, added to the shipped policy, let it run as app_t
   in enforcing mode with no record.
The pid is the program's (any); every other field is compared exactly."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

softsgx, loader, sgxs, sig, policy, src_policy_dir, secilc = map(os.path.abspath, sys.argv[1:8])
DEV_INO = 0x5347580001  # the emulated device's synthetic inode (no host inode exists)


def dev_name(dev):
    want = "%d:%d" % (os.major(dev), os.minor(dev))
    for line in open("/proc/self/mountinfo"):
        f = line.split()
        if f[2] != want:
            continue
        fstype, source = line.split(" - ")[1].split()[:2]
        return os.path.basename(source) if source.startswith("/dev/") else fstype
    return "?"


DEVICE = 'path="/dev/sgx_enclave" dev="%s" ino=%d' % (dev_name(os.stat("/dev").st_dev), DEV_INO)
DEVICE_T = "u:object_r:sgx_enclave_device_t"


def expected(perm, rest, tail, permissive):
    return ('avc:  denied  { %s } for  pid=PID comm="sgx-loader" %s%s permissive=%d'
            % (perm, rest, tail, 1 if permissive else 0))


RUNS = []


def run(tmp, context, policy_file, mode="enforcing"):
    RUNS.append(context)
    log = os.path.join(tmp, "audit-%d-%s-%s.log" % (len(RUNS), context, mode))
    conf = os.path.join(tmp, "softsgx.conf")
    with open(conf, "w") as f:
        f.write("modules = selinux\nselinux.mode = %s\nselinux.policy = %s\n"
                "selinux.file_contexts = %s/file_contexts\n"
                "selinux.enclave_contexts = %s/enclave_contexts\naudit = %s\n"
                % (mode, policy_file, src_policy_dir, src_policy_dir, log))
    r = subprocess.run([softsgx, "run", "--conf", conf, "--context", "u:r:" + context, "--",
                        loader, sgxs, sig], capture_output=True, text=True,
                       env=dict(os.environ, SOFTSGX_QUIET="1"), timeout=120)
    records = open(log).read().splitlines() if os.path.exists(log) else []
    bodies = []
    for line in records:
        m = re.match(r"^type=AVC msg=audit\(\d+\.\d{3}:\d+\): (.*)$", line)
        if not m:
            sys.exit("FAIL: not an AVC record: %r" % line)
        bodies.append(re.sub(r"pid=\d+ ", "pid=PID ", m.group(1)))
    return r, log, bodies


def check(what, r, bodies, status_ok, want):
    problems = []
    if (r.returncode == 0) != status_ok:
        problems.append("exit %d" % r.returncode)
    if bodies != want:
        problems.append("records:\n    %s\n  expected:\n    %s"
                        % ("\n    ".join(bodies), "\n    ".join(want)))
    if problems:
        sys.exit("FAIL: %s: %s\n  stdout: %s\n  stderr: %s"
                 % (what, "; ".join(problems), r.stdout, r.stderr))
    print("ok: %s" % what)


with tempfile.TemporaryDirectory(prefix="softsgx-run-loader-") as tmp:
    r, _, bodies = run(tmp, "unconfined_t", policy)
    check("unconfined_t runs the loader", r, bodies, True, [])
    if "ok" not in r.stdout.split():
        sys.exit("FAIL: the loader did not report ok: %s" % r.stdout)

    r, _, bodies = run(tmp, "app_t", policy)
    check("app_t is denied the device's write", r, bodies, False,
          [expected("write", DEVICE + " ", "scontext=u:r:app_t tcontext=%s tclass=chr_file"
                    % DEVICE_T, False)])
    if "/dev/sgx_enclave: Permission denied" not in r.stderr:
        sys.exit("FAIL: the loader did not see EACCES: %s" % r.stderr)

    r, log, bodies = run(tmp, "app_t", policy, "permissive")
    want = [expected("write", DEVICE + " ", "scontext=u:r:app_t tcontext=%s tclass=chr_file"
                     % DEVICE_T, True),
            expected("sgx_execanon", "", "scontext=u:r:app_t tcontext=u:r:app_t "
                     "tclass=process2", True),
            expected("init", "", "scontext=u:r:app_t tcontext=u:r:unlabeled_t "
                     "tclass=enclave", True)]
    check("app_t in permissive mode runs and is audited", r, bodies, True, want)

    audit2allow = shutil.which("audit2allow")
    if not audit2allow:
        print("SKIP (part 4): audit2allow is not installed")
        sys.exit(0)
    out = subprocess.run([audit2allow, "-p", policy, "-i", log], capture_output=True,
                         text=True, check=True).stdout
    cil = ["(allow %s %s (%s (%s)))" % (m[0], m[1], m[2], (m[3] or m[4]).strip())
           for m in re.findall(r"^allow (\S+) (\S+):(\S+) (?:\{ ([^}]*) \}|(\S+));$", out, re.M)]
    if len(cil) < 3:
        sys.exit("FAIL: audit2allow printed %r" % out)
    rules = os.path.join(tmp, "loader.cil")
    open(rules, "w").write("\n".join(cil) + "\n")
    fixed = os.path.join(tmp, "fixed.bin")
    subprocess.run([secilc, "-o", fixed, "-f", "/dev/null",
                    os.path.join(src_policy_dir, "base.cil"),
                    os.path.join(src_policy_dir, "softsgx.cil"), rules], check=True)
    r, _, bodies = run(tmp, "app_t", fixed)
    check("app_t runs with audit2allow's rules (%s)" % "; ".join(cil), r, bodies, True, [])
