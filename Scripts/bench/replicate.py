#!/usr/bin/env python3
"""Benchmark hsmsync's replication against ../shared/bench's ref_replicate, in the same run, on the
same SoftHSM2 fixture (issue 5's performance goal):

  replicate N keys primary -> secondary    hsmsync keys/s >= 0.8 x ref_replicate keys/s

on a fixture on disk (--dir) and one on tmpfs (/dev/shm). Both tools are timed as whole processes
(hsmsync: `reconcile --apply`, which also scans both tokens, plans, journals and verifies every copy).
Before every run the secondary is reset to its pristine state (fixture.py --reset-token). Runs are
interleaved (reference, hsmsync, ...) and medians reported.

The fixture's own transport key (label `transport`) is modifiable and copyable, which hsmsync
refuses (SECURITY.md R2); the benchmark adds, in every token, a locked-down copy of the same value
under `hsmsync-transport` (the fixture is built with a known --transport-hex for that).

usage: Scripts/bench/replicate [--keys 1000] [--runs 5] [--dir DIR] [--shared ../shared/bench] [--no-tmpfs]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRANSPORT_HEX = "5a" * 32
MODULE = os.environ.get("PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so")


def run(cmd, env):
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return time.perf_counter() - start, proc.returncode, proc.stdout.decode(errors="replace"), \
        proc.stderr.decode(errors="replace")


def build(shared, bindir):
    os.makedirs(bindir, exist_ok=True)
    cflags = subprocess.check_output(["pkg-config", "--cflags", "p11-kit-1"], text=True).split()
    target = os.path.join(bindir, "ref_replicate")
    source = os.path.join(shared, "ref_replicate.c")
    if not os.path.exists(target) or os.path.getmtime(target) < os.path.getmtime(source):
        subprocess.check_call(["gcc", "-O2", *cflags, "-o", target, source, "-ldl"])
    subprocess.check_call(["swift", "build", "-c", "release", "--product", "hsmsync"], cwd=ROOT,
                          stdout=subprocess.DEVNULL)
    return target, os.path.join(ROOT, ".build", "release", "hsmsync")


ADD_TRANSPORT = """
import sys, pkcs11
from pkcs11 import Attribute as A, ObjectClass as OC, KeyType as KT
lib = pkcs11.lib(sys.argv[1])
for label in sys.argv[3:]:
    with lib.get_token(token_label=label).open(rw=True, user_pin="1234") as session:
        if list(session.get_objects({A.LABEL: "hsmsync-transport"})):
            continue
        session.create_object({
            A.CLASS: OC.SECRET_KEY, A.KEY_TYPE: KT.AES, A.TOKEN: True, A.PRIVATE: True,
            A.LABEL: "hsmsync-transport", A.VALUE: bytes.fromhex(sys.argv[2]),
            A.SENSITIVE: True, A.EXTRACTABLE: False, A.COPYABLE: False,
            A.WRAP: True, A.UNWRAP: True, A.ENCRYPT: False, A.DECRYPT: False,
            A.SIGN: False, A.VERIFY: False, A.DERIVE: False, A.MODIFIABLE: False})
"""


def add_hsmsync_transport(env, labels):
    """A locked-down transport key (R1/R2) with the fixture's value, in each token of `labels`.

    In a child process: SoftHSM2 reads SOFTHSM2_CONF once per process, and the disk and tmpfs
    fixtures have different configurations."""
    subprocess.check_call([sys.executable, "-c", ADD_TRANSPORT, MODULE, TRANSPORT_HEX, *labels], env=env)


def fixture(shared, directory, keys):
    """Builds (once) a two-token fixture in `directory`; returns its environment and fleet file."""
    marker = os.path.join(directory, "built")
    env = dict(os.environ, SOFTHSM2_CONF=os.path.join(directory, "softhsm2.conf"))
    if not os.path.exists(marker):
        shutil.rmtree(directory, ignore_errors=True)
        print("building the fixture: %d keys, 2 tokens in %s (once)" % (keys, directory), flush=True)
        subprocess.check_call([sys.executable, os.path.join(shared, "fixture.py"), "--dir", directory,
                               "--keys", str(keys), "--tokens", "2", "--transport-hex", TRANSPORT_HEX, "--quiet"])
        open(marker, "w").close()
    add_hsmsync_transport(env, ["primary"])
    pin = os.path.join(directory, "user.pin")
    with open(pin, "w") as f:
        f.write("1234\n")
    os.chmod(pin, 0o600)
    fleet = os.path.join(directory, "fleet.yaml")
    with open(fleet, "w") as f:
        f.write("name: bench\nhsms:\n")
        for name, role in (("primary", "primary"), ("secondary", "secondary")):
            f.write("  - {name: %s, role: %s, module: %s, token: \"pkcs11:token=%s\", pin: \"file:user.pin\"}\n"
                    % (name, role, MODULE, name))
        f.write("state:\n  dir: state\n")
    return env, fleet


def reset(shared, directory, env):
    subprocess.check_call([sys.executable, os.path.join(shared, "fixture.py"), "--dir", directory,
                           "--reset-token", "secondary"], stdout=subprocess.DEVNULL)
    add_hsmsync_transport(env, ["secondary"])


def measure(name, directory, shared, keys, runs, ref, hsmsync):
    env, fleet = fixture(shared, directory, keys)
    reference, ours = [], []
    for _ in range(runs):
        reset(shared, directory, env)
        elapsed, code, out, err = run([ref, "-s", "primary", "-d", "secondary", "-t", "transport"], env)
        if code != 0:
            sys.exit("ref_replicate failed (%d): %s%s" % (code, out, err))
        reference.append(elapsed)
        reset(shared, directory, env)
        elapsed, code, out, err = run([hsmsync, "reconcile", "--fleet", fleet, "--apply", "--json"], env)
        report = json.loads(out) if out.strip() else {}
        copied = len(report.get("copied", []))
        if code not in (0, 1) or copied != keys:
            sys.exit("hsmsync reconcile failed (exit %d, %d copied of %d): %s" % (code, copied, keys, err[-2000:]))
        ours.append(elapsed)
    ref_t, our_t = statistics.median(reference), statistics.median(ours)
    ratio = (keys / our_t) / (keys / ref_t)
    verdict = "meets" if ratio >= 0.8 else "MISSES"
    print("%-8s ref_replicate %6.2f s (%5.0f keys/s)   hsmsync %6.2f s (%5.0f keys/s)   ratio %.2f  (goal >= 0.80: %s)"
          % (name, ref_t, keys / ref_t, our_t, keys / our_t, ratio, verdict), flush=True)
    return {"reference_s": ref_t, "hsmsync_s": our_t, "reference_keys_per_s": keys / ref_t,
            "hsmsync_keys_per_s": keys / our_t, "ratio": ratio, "meets": ratio >= 0.8,
            "reference_runs": reference, "hsmsync_runs": ours}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", default=os.path.join(ROOT, ".build-bench"))
    parser.add_argument("--shared", default=os.path.join(ROOT, "..", "shared", "bench"))
    parser.add_argument("--no-tmpfs", action="store_true")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    bindir = os.path.join(args.dir, "bin")
    ref, hsmsync = build(args.shared, bindir)
    print("machine: %s, %d cores; load average %s" % (os.uname().machine, os.cpu_count(), os.getloadavg()))
    summary = {"keys": args.keys}
    summary["disk"] = measure("disk", os.path.join(args.dir, "replicate-%d" % args.keys), args.shared, args.keys,
                              args.runs, ref, hsmsync)
    if not args.no_tmpfs and os.path.isdir("/dev/shm"):
        summary["tmpfs"] = measure("tmpfs", "/dev/shm/hsmsync-bench-replicate-%d-%d" % (args.keys, os.getuid()),
                                   args.shared, args.keys, args.runs, ref, hsmsync)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
