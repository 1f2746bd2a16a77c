#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Scenario 24 of lsm-enclave-controls.md: the real audit2allow (policycoreutils-python-utils),
given the AVC records of scenarios 2, 9, 11 and 17, prints allow rules that, added to the
scenarios' policy, make those scenarios pass.

1. run scenarios 2, 9, 11 and 17 of test_scenarios (each asserts its denial and its exact
   AVC record) collecting their records (SC_AVC_LOG);
2. audit2allow -p POLICY -i LOG (without SELinux in the host kernel, audit2allow's audit2why
   needs the policy file);
3. translate its `allow S T:C { P };` rules to CIL, compile base.cil + scenarios.cil +
   scen_ioctl_all.cil + the rules with secilc;
4. rerun the four scenarios with SC_FIXED_POLICY: each must now succeed with no AVC record.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

secilc, scenarios_exe, policy, base_cil, scen_cil, ioctl_cil = sys.argv[1:7]
SCENARIOS = ["scenario_02*", "scenario_09*", "scenario_11*", "scenario_17*"]

audit2allow = shutil.which("audit2allow")
if not audit2allow:
    print("SKIP: audit2allow is not installed (Debian package policycoreutils-python-utils)")
    sys.exit(77)


def run_scenarios(env_extra):
    env = dict(os.environ, **env_extra)
    for pattern in SCENARIOS:
        r = subprocess.run([scenarios_exe, pattern], env=env, capture_output=True, text=True)
        print(r.stdout + r.stderr, end="")
        if r.returncode != 0 or "[  PASSED  ] 1 test(s)." not in r.stdout + r.stderr:
            print(r.stderr, end="")
            sys.exit("FAIL: %s (%s) did not pass" % (pattern, " ".join(env_extra)))


def to_cil(rules_text):
    """`allow app_t self:process2 { a b };` -> `(allow app_t self (process2 (a b)))`."""
    cil = []
    for m in re.finditer(r"^allow (\S+) (\S+):(\S+) (?:\{ ([^}]*) \}|(\S+));$", rules_text, re.M):
        perms = (m.group(4) or m.group(5)).split()
        cil.append("(allow %s %s (%s (%s)))" % (m.group(1), m.group(2), m.group(3),
                                                " ".join(perms)))
    return cil


with tempfile.TemporaryDirectory(prefix="softsgx-scenario24-") as tmp:
    log = os.path.join(tmp, "audit.log")
    run_scenarios({"SC_AVC_LOG": log})
    records = open(log).read()
    print("--- the AVC records of scenarios 2, 9, 11, 17:\n" + records, end="")
    if records.count("type=AVC") != 4:
        sys.exit("FAIL: expected 4 AVC records, got %d" % records.count("type=AVC"))

    r = subprocess.run([audit2allow, "-p", policy, "-i", log], capture_output=True, text=True)
    print("--- audit2allow -p %s -i %s:\n%s" % (policy, log, r.stdout), end="")
    if r.returncode != 0:
        sys.exit("FAIL: audit2allow exited %d: %s" % (r.returncode, r.stderr))
    cil = to_cil(r.stdout)
    wanted = ["sgx_enclave_device_t (chr_file (write))", "sgx_execanon", "sgx_execdirty",
              "unlabeled_enclave_t (enclave (init))"]
    missing = [w for w in wanted if not any(w in rule for rule in cil)]
    if missing:
        sys.exit("FAIL: audit2allow's rules lack %s" % missing)

    rules = os.path.join(tmp, "audit2allow.cil")
    with open(rules, "w") as f:
        f.write("; audit2allow's rules, translated to CIL\n" + "\n".join(cil) + "\n")
    print("--- as CIL:\n" + "\n".join(cil))
    fixed = os.path.join(tmp, "fixed.bin")
    subprocess.run([secilc, "-o", fixed, "-f", "/dev/null", base_cil, scen_cil, ioctl_cil, rules],
                   check=True)

    run_scenarios({"SC_FIXED_POLICY": fixed})
    print("scenario 24: audit2allow's rules make scenarios 2, 9, 11 and 17 pass")
