#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`softsgx policy check|explain` against the unit test policy (policies/unit.cil): the
decision word, the permissions named, the exit status (0 allowed, 1 denied, 2 error), and
the explanation naming the missing allow rule or the failing constraint, like audit2why."""
import os
import subprocess
import sys

softsgx, unit, unknown_allow, unknown_reject, shipped = sys.argv[1:6]
DEV = "u:object_r:sgx_enclave_device_t"

# (action, policy, context, target, class, perms, exit status, lines the output must hold)
CASES = [
    ("check", unit, "u:r:app_t", DEV, "chr_file", ["open", "read"], 0,
     ["allowed { open read } for scontext=u:r:app_t tcontext=%s tclass=chr_file" % DEV]),
    ("check", unit, "u:r:app_t", DEV, "chr_file", ["open", "read write"], 1,
     ["denied { write } for scontext=u:r:app_t tcontext=%s tclass=chr_file" % DEV]),
    ("explain", unit, "u:r:app_t", DEV, "chr_file", ["write,map"], 1,
     ["denied { write }", "missing type enforcement (TE) allow rule:",
      "    allow app_t sgx_enclave_device_t:chr_file { write };"]),
    ("explain", unit, "u:r:app_t", "u:r:app_t", "process2", ["sgx_mapwx", "sgx_execdirty"], 1,
     ["denied { sgx_mapwx sgx_execdirty }",
      "    allow app_t app_t:process2 { sgx_execdirty sgx_mapwx };"]),
    ("explain", unit, "u:r:app_t", "u:object_r:acme_enclave_t", "enclave", ["init", "debug"], 1,
     ["denied { debug }", "a constraint denies { debug }:", "debugger_t"]),
    ("explain", unit, "u:r:debugger_t", "u:object_r:acme_enclave_t", "enclave", ["debug"], 0,
     ["allowed { debug }", "allow rules of %s grant it" % unit]),
    ("check", unit, "u:r:perm_t", "u:r:perm_t", "process2", ["sgx_mapwx"], 1,
     ["denied { sgx_mapwx }", "(permissive domain: audited, not enforced)"]),
    ("explain", unknown_allow, "u:r:app_t", "u:r:app_t", "process2", ["sgx_mapwx"], 0,
     ["allowed { sgx_mapwx }", "handle_unknown=allow allows them"]),
    ("check", unknown_reject, "u:r:app_t", "u:r:app_t", "process2", ["sgx_mapwx"], 2,
     ["handle_unknown=reject"]),
    ("check", unit, "u:r:nobody_t", DEV, "chr_file", ["open"], 2,
     ["type nobody_t is not defined"]),
    # the shipped policy (policy/softsgx.cil)
    ("check", shipped, "u:r:app_t", DEV, "chr_file", ["open", "read", "map", "execute"], 0,
     ["allowed { open read map execute }"]),
    ("explain", shipped, "u:r:app_t", "u:r:app_t", "process2", ["sgx_execanon"], 1,
     ["    allow app_t app_t:process2 { sgx_execanon };"]),
    ("check", shipped, "u:r:unconfined_t", "u:r:unconfined_t", "process2",
     ["sgx_execdirty", "sgx_execunmr", "sgx_execanon", "sgx_mapwx"], 0, ["allowed"]),
    ("explain", shipped, "u:r:unconfined_t", "u:object_r:acme_enclave_t", "enclave",
     ["init", "provision"], 1, ["denied { provision }", "a constraint denies { provision }",
                                "sgx_provisioner_t"]),
    ("check", shipped, "u:r:sgx_provisioner_t", "u:object_r:acme_enclave_t", "enclave",
     ["init", "provision"], 0, ["allowed { init provision }"]),
]

failed = 0
for action, policy, scon, tcon, cls, perms, status, lines in CASES:
    cmd = [softsgx, "policy", action, "--policy", policy, "--context", scon, "--target", tcon,
           "--class", cls]
    for p in perms:
        cmd += ["--perm", p]
    r = subprocess.run(cmd, capture_output=True, text=True)
    out = r.stdout + r.stderr
    problems = []
    if r.returncode != status:
        problems.append("exit %d, expected %d" % (r.returncode, status))
    problems += ["missing %r" % l for l in lines if l not in out]
    if problems:
        failed += 1
        print("FAIL: %s\n  %s\n  output:\n%s" % (" ".join(cmd), "\n  ".join(problems), out))
    else:
        print("ok: %s %s %s -> exit %d" % (action, cls, " ".join(perms), status))

# the policy named by a configuration file's selinux.policy
import tempfile
with tempfile.NamedTemporaryFile("w", suffix=".conf") as conf:
    conf.write("# softsgx policy reads selinux.policy from here\nselinux.policy = %s\n"
               % os.path.abspath(unit))
    conf.flush()
    r = subprocess.run([softsgx, "policy", "check", "--conf", conf.name, "--context", "u:r:app_t",
                        "--target", DEV, "--class", "chr_file", "--perm", "write"],
                       capture_output=True, text=True)
    if r.returncode != 1 or not r.stdout.startswith("denied { write }"):
        failed += 1
        print("FAIL: --conf: exit %d, %s%s" % (r.returncode, r.stdout, r.stderr))
    else:
        print("ok: --conf %s -> denied { write }" % conf.name)

# usage errors exit 2 and say what is missing
r = subprocess.run([softsgx, "policy", "check", "--policy", unit], capture_output=True, text=True)
if r.returncode != 2 or "--context, --target, --class and --perm are required" not in r.stderr:
    failed += 1
    print("FAIL: usage error: exit %d, %s" % (r.returncode, r.stderr))
sys.exit(1 if failed else 0)
