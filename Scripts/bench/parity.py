#!/usr/bin/env python3
"""Benchmark hsmsync's inventory and parity audit against the C reference programs of
../shared/bench, in the same run, on the same SoftHSM2 fixture (issue 3's performance goals):

  inventory of one token holding N keys   hsmsync inventory  <= 1.15 x ref_inventory LABEL
  audit of three tokens holding N keys    hsmsync audit      <= 1.0  x ref_inventory all
  peak RSS of that audit                  <= peak RSS of ref_inventory all + 64 MB

Runs are interleaved (reference, hsmsync, reference, ...) so load changes hit both; medians are
reported. The fixture (fixture.py, then ref_replicate to the two other tokens) is built once and
kept in --dir.

usage: Scripts/bench/parity [--keys 10000] [--runs 5] [--dir DIR] [--shared ../shared/bench]
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


def run(cmd, env, stdout=subprocess.DEVNULL):
    """Runs cmd, returns (seconds, peak RSS in MB, exit status)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=stdout, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss / 1024.0, code, stderr


def build(shared, bindir):
    os.makedirs(bindir, exist_ok=True)
    cflags = subprocess.check_output(["pkg-config", "--cflags", "p11-kit-1"], text=True).split()
    for name in ("ref_inventory", "ref_replicate"):
        target = os.path.join(bindir, name)
        source = os.path.join(shared, name + ".c")
        if not os.path.exists(target) or os.path.getmtime(target) < os.path.getmtime(source):
            subprocess.check_call(["gcc", "-O2", *cflags, "-o", target, source, "-ldl"])
    subprocess.check_call(["swift", "build", "-c", "release", "--product", "hsmsync"], cwd=ROOT,
                          stdout=subprocess.DEVNULL)
    return os.path.join(ROOT, ".build", "release", "hsmsync")


def fixture(shared, directory, keys, bindir):
    fleet_dir = os.path.join(directory, "fixture-%d" % keys)
    marker = os.path.join(fleet_dir, "replicated")
    env = dict(os.environ, SOFTHSM2_CONF=os.path.join(fleet_dir, "softhsm2.conf"))
    if not os.path.exists(marker):
        shutil.rmtree(fleet_dir, ignore_errors=True)
        print("building the fixture: %d keys, 3 tokens (once; kept in %s)" % (keys, fleet_dir), flush=True)
        subprocess.check_call([sys.executable, os.path.join(shared, "fixture.py"), "--dir", fleet_dir,
                               "--keys", str(keys), "--tokens", "3"])
        for target in ("secondary", "member"):
            print("ref_replicate primary -> %s" % target, flush=True)
            subprocess.check_call([os.path.join(bindir, "ref_replicate"), "-s", "primary", "-d", target], env=env,
                                  stdout=subprocess.DEVNULL)
        open(marker, "w").close()
    pin = os.path.join(fleet_dir, "user.pin")
    with open(pin, "w") as f:
        f.write("1234\n")
    os.chmod(pin, 0o600)
    fleet = os.path.join(fleet_dir, "fleet.yaml")
    with open(fleet, "w") as f:
        f.write("name: bench\nhsms:\n")
        for name, role in (("primary", "primary"), ("secondary", "secondary"), ("member", "member")):
            f.write("  - {name: %s, role: %s, module: %s, token: \"pkcs11:token=%s\", pin: \"file:user.pin\"}\n"
                    % (name, role, os.environ.get("PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so"), name))
        f.write("transport:\n  label: transport\n")
    return env, fleet


def median_report(label, reference, ours, goal):
    ref_t = statistics.median(r[0] for r in reference)
    our_t = statistics.median(r[0] for r in ours)
    ratio = our_t / ref_t
    verdict = "meets" if ratio <= goal else "MISSES"
    print("%-34s ref %6.3f s   hsmsync %6.3f s   ratio %.2f  (goal <= %.2f: %s)"
          % (label, ref_t, our_t, ratio, goal, verdict))
    return {"reference_s": ref_t, "hsmsync_s": our_t, "ratio": ratio, "goal": goal, "meets": ratio <= goal,
            "reference_runs": [r[0] for r in reference], "hsmsync_runs": [r[0] for r in ours],
            "reference_rss_mb": max(r[1] for r in reference), "hsmsync_rss_mb": max(r[1] for r in ours)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", default=os.path.join(ROOT, ".build-bench"))
    parser.add_argument("--shared", default=os.path.join(ROOT, "..", "shared", "bench"))
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    bindir = os.path.join(args.dir, "bin")
    hsmsync = build(args.shared, bindir)
    env, fleet = fixture(args.shared, args.dir, args.keys, bindir)
    ref = os.path.join(bindir, "ref_inventory")
    print("machine: %s, %d cores; load average %s" % (os.uname().machine, os.cpu_count(), os.getloadavg()))

    jobs = {
        "ref_inventory primary": [ref, "primary"],
        "ref_inventory -L primary": [ref, "-L", "primary"],
        "hsmsync inventory primary": [hsmsync, "inventory", "--fleet", fleet, "--hsm", "primary", "--json"],
        "ref_inventory all": [ref, "all"],
        "hsmsync audit": [hsmsync, "audit", "--fleet", fleet, "--json"],
    }
    results = {name: [] for name in jobs}
    for _ in range(args.runs):
        for name, cmd in jobs.items():
            elapsed, rss, code, stderr = run(cmd, env)
            ok = code == 0 or (name == "hsmsync audit" and code == 1)
            if not ok:
                sys.exit("%s failed with exit %d:\n%s" % (name, code, stderr))
            results[name].append((elapsed, rss))

    print()
    summary = {
        "keys": args.keys,
        "inventory": median_report("inventory, one token", results["ref_inventory primary"],
                                   results["hsmsync inventory primary"], 1.15),
        "inventory_vs_os_locking": median_report("  (vs ref_inventory -L primary)", results["ref_inventory -L primary"],
                                                 results["hsmsync inventory primary"], 1.15),
        "audit": median_report("audit, three tokens", results["ref_inventory all"], results["hsmsync audit"], 1.0),
    }
    ref_rss = max(r[1] for r in results["ref_inventory all"])
    our_rss = max(r[1] for r in results["hsmsync audit"])
    rss_ok = our_rss <= ref_rss + 64
    print("%-34s ref %6.0f MB  hsmsync %6.0f MB  +%.0f MB (goal <= +64 MB: %s)"
          % ("peak RSS, audit", ref_rss, our_rss, our_rss - ref_rss, "meets" if rss_ok else "MISSES"))
    summary["audit_rss"] = {"reference_mb": ref_rss, "hsmsync_mb": our_rss, "meets": rss_ok}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
