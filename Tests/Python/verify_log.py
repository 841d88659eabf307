#!/usr/bin/env python3
"""Independent verifier for hsmsync audit logs.

Written from the specifications only -- RFC 6962/9162 (the reference core of AUDIT-LOG.md section 2),
C2SP signed-note, tlog-checkpoint, tlog-cosignature, tlog-policy, and the verification contract of
docs/audit-log.md ("How verify classifies") -- not from hsmsync's Swift code, so a reader and a writer
cannot share a mistake. Ed25519 comes from the `cryptography` package.

usage: verify_log.py DIR [--vkey FILE] [--policy FILE] [--trusted-checkpoint FILE]... [--strict]
                         [--now POSIX_SECONDS] [--time-tolerance SECONDS] [--json]
exit:  0 valid, 1 integrity failure, 2 invalid input (BAD_VKEY, bad policy or anchor, missing file)
"""
import argparse
import base64
import hashlib
import json
import os
import re
import sys
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

MAX_LINE = 65535
MAX_DEPTH = 32
MAX_SIGNATURES = 100
CLASS_ORDER = [
    "PARSE", "FOREIGN_LOG", "SEQ_ORDER", "SEQ_GAP", "CHAIN_BREAK", "TIME_REGRESSION", "TORN_TAIL",
    "ORIGIN_MISMATCH", "FORK", "FORK_VS_ANCHOR", "BAD_SIGNATURE", "NO_VALID_LOG_SIGNATURE", "ROOT_MISMATCH",
    "TRUNCATION", "TRUNCATION_VS_ANCHOR", "BAD_COSIGNATURE", "COSIG_TIME_REGRESSION", "FUTURE_COSIG",
    "QUORUM_NOT_MET", "UNSIGNED_TAIL", "BAD_VKEY",
]
ENTRY_CLASSES = {"PARSE", "FOREIGN_LOG", "SEQ_ORDER", "SEQ_GAP", "CHAIN_BREAK", "TIME_REGRESSION", "TORN_TAIL"}


class InputError(Exception):
    def __init__(self, cls, message):
        super().__init__(message)
        self.cls = cls


class Malformed(Exception):
    pass


def H(data):
    return hashlib.sha256(data).digest()


# --- RFC 6962 (AUDIT-LOG.md section 2) ---------------------------------------------------------

def leaf(data):
    return H(b"\x00" + data)


def node(left, right):
    return H(b"\x01" + left + right)


class Tree:
    """Streaming MTH: perfect-subtree roots, merged like a binary counter."""

    def __init__(self):
        self.size = 0
        self.stack = []

    def push(self, leaf_hash):
        h, n = leaf_hash, self.size
        while n & 1:
            h = node(self.stack.pop(), h)
            n >>= 1
        self.stack.append(h)
        self.size += 1

    def root(self):
        if not self.stack:
            return H(b"")
        r = self.stack[-1]
        for h in reversed(self.stack[:-1]):
            r = node(h, r)
        return r


# --- encodings ----------------------------------------------------------------------------------

def b64decode_strict(text):
    """Canonical standard base64 with padding, or None."""
    if not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", text) or len(text) % 4:
        return None
    try:
        data = base64.b64decode(text, validate=True)
    except ValueError:
        return None
    return data if base64.b64encode(data).decode() == text else None


def valid_key_name(name):
    return bool(name) and "+" not in name and not any(c.isspace() or ord(c) < 0x20 for c in name)


# --- signed notes, vkeys, checkpoints (C2SP) ----------------------------------------------------

def parse_vkey(text):
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise InputError("BAD_VKEY", "a vkey has three '+'-separated parts")
    name, key_id, blob = parts
    if not valid_key_name(name) or not re.fullmatch(r"[0-9a-fA-F]{8}", key_id):
        raise InputError("BAD_VKEY", "bad name or key ID")
    raw = b64decode_strict(blob)
    if raw is None or len(raw) < 2:
        raise InputError("BAD_VKEY", "bad key base64")
    kind, public = raw[0], raw[1:]
    if kind not in (0x01, 0x04) or len(public) != 32:
        raise InputError("BAD_VKEY", "only Ed25519 (0x01, 0x04) keys are supported here")
    computed = H(name.encode() + b"\n" + bytes([kind]) + public)[:4]
    if computed != bytes.fromhex(key_id):
        raise InputError("BAD_VKEY", "key ID mismatch")
    return {"name": name, "id": computed, "type": kind, "public": public, "text": text.strip()}


def parse_note(data):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("not UTF-8")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise Malformed("control character")
    if not text.endswith("\n"):
        raise Malformed("no final newline")
    split = text.rfind("\n\n")
    if split < 0:
        raise Malformed("no blank line")
    body, sig_block = text[:split + 1], text[split + 2:]
    if not sig_block:
        raise Malformed("no signatures")
    signatures = []
    for line in sig_block[:-1].split("\n"):
        if len(signatures) >= MAX_SIGNATURES:
            raise Malformed("more than 100 signatures")
        if not line.startswith("\u2014 "):
            raise Malformed("signature line without em dash")
        name, _, blob = line[2:].partition(" ")
        if not valid_key_name(name):
            raise Malformed("bad key name")
        raw = b64decode_strict(blob)
        if raw is None or len(raw) < 5:
            raise Malformed("bad signature base64")
        signatures.append((name, raw[:4], raw[4:]))
    return body, signatures


def parse_checkpoint(body):
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise Malformed("fewer than three lines")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not valid_key_name(origin):
        raise Malformed("bad origin")
    if not re.fullmatch(r"0|[1-9][0-9]{0,19}", size_text) or int(size_text) >= 2**64:
        raise Malformed("bad size")
    root = b64decode_strict(root_text)
    if root is None or len(root) != 32:
        raise Malformed("bad root")
    extensions = lines[3:]
    if any(not line for line in extensions):
        raise Malformed("empty extension line")
    return origin, int(size_text), root, extensions


def ed25519_ok(public, signature, message):
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
        return True
    except (InvalidSignature, ValueError):
        return False


def key_matches(key, signature):
    return signature[0] == key["name"] and signature[1] == key["id"]


def log_signature_ok(key, signature, body):
    return len(signature[2]) == 64 and ed25519_ok(key["public"], signature[2], body.encode())


def cosignature(key, signature, body):
    """The timestamp of a valid v1 cosignature, or None."""
    blob = signature[2]
    if len(blob) != 72:
        return None
    stamp = int.from_bytes(blob[:8], "big")
    if stamp >= 2**63:
        return None
    message = b"cosignature/v1\ntime %d\n" % stamp + body.encode()
    return stamp if ed25519_ok(key["public"], blob[8:], message) else None


# --- tlog-policy ----------------------------------------------------------------------------------

def parse_policy(data):
    if any((b < 0x20 and b not in (0x09, 0x0A)) or b == 0x7F for b in data):
        raise InputError("INPUT", "policy: control character")
    logs, witnesses, groups, defined, quorum = [], {}, [], set(), None
    for raw in data.split(b"\n"):
        fields = raw.decode("utf-8").replace("\t", " ").split()
        if not fields or fields[0].startswith("#"):
            continue
        word = fields[0]
        if word == "log" and len(fields) in (2, 3):
            logs.append(parse_vkey(fields[1]))
        elif word == "witness" and len(fields) in (3, 4):
            name = fields[1]
            if name == "none" or name in defined:
                raise InputError("INPUT", "policy: bad witness name")
            key = parse_vkey(fields[2])
            if key["type"] != 0x04:
                raise InputError("INPUT", "policy: witness keys are 0x04")
            defined.add(name)
            witnesses[name] = key
        elif word == "group" and len(fields) >= 4:
            name, k, members = fields[1], fields[2], fields[3:]
            if name == "none" or name in defined or any(m not in defined for m in members) or len(set(members)) != len(members):
                raise InputError("INPUT", "policy: bad group")
            threshold = len(members) if k == "all" else 1 if k == "any" else int(k) if re.fullmatch(r"[1-9][0-9]*", k) else 0
            if not 1 <= threshold <= len(members):
                raise InputError("INPUT", "policy: bad threshold")
            defined.add(name)
            groups.append((name, threshold, members))
        elif word == "quorum" and len(fields) == 2 and quorum is None:
            if fields[1] != "none" and fields[1] not in defined:
                raise InputError("INPUT", "policy: undefined quorum")
            quorum = fields[1]
        else:
            raise InputError("INPUT", "policy: bad line")
    if quorum is None:
        raise InputError("INPUT", "policy: no quorum")
    return {"logs": logs, "witnesses": witnesses, "groups": groups, "quorum": quorum}


def quorum_met(policy, cosigners):
    if policy["quorum"] == "none":
        return True
    satisfied = set(cosigners)
    for name, threshold, members in policy["groups"]:
        if sum(1 for m in members if m in satisfied) >= threshold:
            satisfied.add(name)
    return policy["quorum"] in satisfied


# --- entries (AUDIT-LOG.md section 3) -----------------------------------------------------------

TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z")


def days_from_civil(y, m, d):
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def parse_time(text):
    """(seconds, nanoseconds) of a strict RFC 3339 UTC time, or None."""
    match = TIME.fullmatch(text)
    if not match:
        return None
    y, mo, d, h, mi, s = (int(match.group(i)) for i in range(1, 7))
    leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
    month_days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    if not (1 <= mo <= 12 and 1 <= d <= month_days[mo - 1] and h < 24 and mi < 60 and s < 60):
        return None
    fraction = match.group(7) or ""
    nanos = int(fraction.ljust(9, "0")) if fraction else 0
    return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s, nanos


def reject_float(text):
    raise ValueError("float " + text)


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")
    return dict(pairs)


def check_values(value, depth):
    if isinstance(value, (dict, list)):
        if depth + 1 > MAX_DEPTH:
            raise ValueError("too deep")
        items = list(value.items()) if isinstance(value, dict) else [(None, v) for v in value]
        for key, child in items:
            if key is not None and any(0xD800 <= ord(c) <= 0xDFFF for c in key):
                raise ValueError("lone surrogate")
            check_values(child, depth + 1)
    elif isinstance(value, str):
        if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise ValueError("lone surrogate")
    elif isinstance(value, int) and not isinstance(value, bool):
        if not -2**63 <= value < 2**63:
            raise ValueError("integer out of range")


def parse_entry(line):
    """The entry's fields, or raise ValueError (class PARSE)."""
    if not line:
        raise ValueError("empty line")
    if len(line) > MAX_LINE:
        raise ValueError("line too long")
    if line.startswith(b"\xef\xbb\xbf"):
        raise ValueError("BOM")
    text = line.decode("utf-8")  # strict: overlong forms and surrogates fail
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text):
        raise ValueError("raw control character")
    try:
        value = json.loads(text, object_pairs_hook=no_duplicates, parse_float=reject_float, parse_constant=reject_float)
    except RecursionError:
        raise ValueError("too deep")
    if not isinstance(value, dict):
        raise ValueError("not an object")
    check_values(value, 0)

    def is_int(v):
        return isinstance(v, int) and not isinstance(v, bool)

    if not is_int(value.get("v")) or value["v"] != 1:
        raise ValueError("v")
    if not isinstance(value.get("log"), str):
        raise ValueError("log")
    if not is_int(value.get("seq")) or value["seq"] < 0:
        raise ValueError("seq")
    prev = value.get("prev")
    if not isinstance(prev, str) or not re.fullmatch(r"[0-9a-f]{64}", prev):
        raise ValueError("prev")
    when = parse_time(value["time"]) if isinstance(value.get("time"), str) else None
    if when is None:
        raise ValueError("time")
    if not isinstance(value.get("action"), str) or not value["action"]:
        raise ValueError("action")
    return value, when


# --- the verifier ---------------------------------------------------------------------------------

class Verifier:
    def __init__(self, args):
        self.args = args
        self.findings = []

    def add(self, cls, index=None, blame=None, checkpoint=None, severity="error", message=""):
        self.findings.append({"class": cls, "severity": severity, "index": index, "blame": blame,
                              "checkpoint": checkpoint, "message": message})

    def load_checkpoints(self, directory, key, origin):
        files = []
        folder = os.path.join(directory, "checkpoints")
        if os.path.isdir(folder):
            for name in sorted(os.listdir(folder)):
                if re.fullmatch(r"[0-9]{20}\.note", name):
                    files.append(("checkpoints/" + name, os.path.join(folder, name), int(name[:20])))
        latest = os.path.join(directory, "checkpoint")
        if os.path.exists(latest):
            files.append(("checkpoint", latest, None))
        by_size = {}
        for label, path, declared in files:
            with open(path, "rb") as f:
                data = f.read()
            try:
                body, signatures = parse_note(data)
                cp_origin, size, root, extensions = parse_checkpoint(body)
            except Malformed:
                self.add("PARSE", checkpoint=declared, message=label)
                continue
            known = [s for s in signatures if key_matches(key, s)]
            if not known:
                self.add("NO_VALID_LOG_SIGNATURE", checkpoint=size, message=label)
                continue
            if not all(log_signature_ok(key, s, body) for s in known):
                self.add("BAD_SIGNATURE", checkpoint=size, message=label)
                continue
            if cp_origin != origin:
                self.add("ORIGIN_MISMATCH", checkpoint=size, message=label)
                continue
            if declared is not None and declared != size:
                self.add("PARSE", checkpoint=declared, message=label)
                continue
            if self.args.strict and extensions:
                self.add("PARSE", checkpoint=size, message=label)
                continue
            by_size.setdefault(size, []).append((root, body, signatures))
        accepted = {}
        for size, copies in by_size.items():
            if len({root for root, _, _ in copies}) > 1:
                self.add("FORK", checkpoint=size, message="fork")
                continue
            merged = []
            for _, _, signatures in copies:
                for s in signatures:
                    if s not in merged:
                        merged.append(s)
            accepted[size] = (copies[0][0], copies[0][1], merged)
        return accepted

    def run(self):
        a = self.args
        directory = a.directory
        if not os.path.isdir(directory):
            raise InputError("INPUT", "no such directory")
        vkey_path = a.vkey or os.path.join(directory, "log.vkey")
        try:
            with open(vkey_path, "r", encoding="utf-8") as f:
                key = parse_vkey(f.read())
        except (OSError, UnicodeDecodeError):
            raise InputError("BAD_VKEY", "cannot read the vkey")
        if key["type"] != 0x01:
            raise InputError("BAD_VKEY", "a log key has type 0x01")
        policy = None
        policy_path = a.policy or (os.path.join(directory, "policy") if os.path.exists(os.path.join(directory, "policy")) else None)
        if policy_path:
            with open(policy_path, "rb") as f:
                policy = parse_policy(f.read())
            if policy["logs"] and not any(k["public"] == key["public"] and k["name"] == key["name"] for k in policy["logs"]):
                raise InputError("BAD_VKEY", "the vkey is not a log of the policy")
        entries_path = os.path.join(directory, "entries.jsonl")
        if not os.path.exists(entries_path):
            raise InputError("INPUT", "no entries.jsonl")
        origin = key["name"]
        with open(entries_path, "rb") as f:
            first = f.readline()
        if first.endswith(b"\n"):
            try:
                opening, _ = parse_entry(first[:-1])
            except ValueError:
                opening = None
            if opening and opening["action"] == "log.open" and opening["seq"] == 0 and opening["log"] != origin:
                raise InputError("BAD_VKEY", "the vkey names another origin than log.open")

        accepted = self.load_checkpoints(directory, key, origin)
        anchors = []
        for path in a.trusted_checkpoint:
            with open(path, "rb") as f:
                data = f.read()
            try:
                body, signatures = parse_note(data)
                cp_origin, size, root, _ = parse_checkpoint(body)
            except Malformed:
                raise InputError("INPUT", "bad trusted checkpoint")
            known = [s for s in signatures if key_matches(key, s)]
            if not known or not all(log_signature_ok(key, s, body) for s in known) or cp_origin != origin:
                raise InputError("INPUT", "trusted checkpoint does not verify")
            anchors.append((path, size, root))

        checks = {}
        for size, (root, _, _) in accepted.items():
            checks.setdefault(size, []).append(("checkpoint", root, None))
        for path, size, root in anchors:
            checks.setdefault(size, []).append(("anchor", root, path))

        tree = Tree()
        last_matched = 0

        def check_roots():
            nonlocal last_matched
            for kind, root, source in checks.get(tree.size, []):
                if kind == "checkpoint":
                    if root == tree.root():
                        last_matched = tree.size
                    else:
                        self.add("ROOT_MISMATCH", index=last_matched, checkpoint=tree.size)
                elif root != tree.root():
                    self.add("FORK_VS_ANCHOR", checkpoint=tree.size, message=source)

        check_roots()
        torn = b""  # bytes after the last newline

        def complete_lines():
            nonlocal torn
            with open(entries_path, "rb") as f:
                for raw in f:  # streamed: memory does not grow with the log
                    if raw.endswith(b"\n"):
                        yield raw[:-1]
                    else:
                        torn = raw
        previous_leaf = None
        previous_offset = 0
        previous_time = None
        pending = None  # the previous line, whose seq and chain findings wait for this one
        ceremonies_opened, closes = 0, []
        tolerance = a.time_tolerance

        def settle(line, next_record):
            if line is None:
                return
            i, seq_issue, chain_break, own = line
            if seq_issue is not None:
                swapped = next_record is not None and next_record["ok"] and next_record["seq"] == i
                self.add("SEQ_ORDER" if seq_issue < i or swapped else "SEQ_GAP", index=i)
            if chain_break:
                next_breaks = next_record is not None and next_record["chain_break"]
                blame = i if (own or next_breaks or i == 0) else i - 1
                self.add("CHAIN_BREAK", index=i, blame=blame)

        for i, line in enumerate(complete_lines()):
            record = {"ok": False, "seq": None, "chain_break": False}
            own, seq_issue = False, None
            try:
                entry, when = parse_entry(line)
            except (ValueError, UnicodeDecodeError):
                self.add("PARSE", index=i)
                own = True
            else:
                record.update(ok=True, seq=entry["seq"])
                if entry["log"] != origin:
                    self.add("FOREIGN_LOG", index=i)
                    own = True
                offset = entry["seq"] - i
                if offset != 0 and offset != previous_offset:
                    seq_issue, own = entry["seq"], True
                previous_offset = offset
                expected = b"\x00" * 32 if i == 0 else previous_leaf
                record["chain_break"] = bytes.fromhex(entry["prev"]) != expected
                if previous_time is not None and (when[0], when[1]) < (previous_time[0] - tolerance, previous_time[1]):
                    self.add("TIME_REGRESSION", index=i, severity="error" if a.strict else "warning")
                previous_time = when
                if entry["action"] == "ceremony.open":
                    ceremonies_opened += 1
                elif entry["action"] == "ceremony.close":
                    closes.append(i)
            settle(pending, record)
            pending = (i, seq_issue, record["chain_break"], own)
            previous_leaf = leaf(line)
            tree.push(previous_leaf)
            check_roots()
        settle(pending, None)
        n = tree.size
        if torn:
            self.add("TORN_TAIL", index=n)
        if n == 0 and not accepted:
            self.add("PARSE", index=0)
        for size in sorted(accepted):
            if size > n:
                self.add("TRUNCATION", index=n, checkpoint=size)
        for path, size, _ in anchors:
            if size > n:
                self.add("TRUNCATION_VS_ANCHOR", index=n, checkpoint=size, message=path)
        signed = max(accepted) if accepted else 0
        if n > signed:
            self.add("UNSIGNED_TAIL", index=signed, severity="error" if a.strict else "warning")

        # Witnesses (tlog-cosignature, tlog-policy).
        quorum_sizes = []
        if policy is not None:
            last_time = {}
            met = {}
            for size in sorted(accepted):
                root, body, signatures = accepted[size]
                cosigners = {}
                for s in signatures:
                    if s[0] == origin:
                        continue
                    witness = next((w for w, k in policy["witnesses"].items() if key_matches(k, s)), None)
                    if witness is None:
                        continue
                    stamp = cosignature(policy["witnesses"][witness], s, body)
                    if stamp is None:
                        self.add("BAD_COSIGNATURE", checkpoint=size, message=witness)
                        continue
                    if stamp > a.now + tolerance:
                        self.add("FUTURE_COSIG", checkpoint=size, message=witness)
                    cosigners[witness] = max(stamp, cosigners.get(witness, 0))
                for witness, stamp in cosigners.items():
                    if witness in last_time and stamp < last_time[witness]:
                        self.add("COSIG_TIME_REGRESSION", checkpoint=size, message=witness)
                    last_time[witness] = stamp
                met[size] = quorum_met(policy, cosigners)
                if met[size]:
                    quorum_sizes.append(size)
            if policy["quorum"] != "none" and accepted:
                sizes = sorted(accepted)
                required = {sizes[-1]}
                for close in closes:
                    after = [s for s in sizes if s > close]
                    if after:
                        required.add(after[0])
                for size in sorted(required):
                    if not met[size]:
                        self.add("QUORUM_NOT_MET", checkpoint=size)

        anchor_failed = any(f["class"] in ("FORK_VS_ANCHOR", "TRUNCATION_VS_ANCHOR") for f in self.findings)
        anchored_size = max([size for _, size, _ in anchors if size <= n], default=0)
        anchored = not anchor_failed and signed > 0 and anchored_size >= signed
        return self.report(n, signed, anchored, ceremonies_opened, len(closes), quorum_sizes)

    def report(self, n, signed, anchored, opened, closed, quorum_sizes):
        def tier(f):
            if f["class"] in ENTRY_CLASSES and f["index"] is not None:
                return 0
            return 1 if f["index"] is not None else 2

        def position(f):
            t = tier(f)
            if t == 0:
                return f["blame"] if f["blame"] is not None else f["index"]
            return f["index"] if t == 1 else (f["checkpoint"] or 0)

        findings = sorted(self.findings, key=lambda f: (f["severity"] != "error", tier(f), position(f),
                                                         CLASS_ORDER.index(f["class"]), f["checkpoint"] or 0))
        errors = [f for f in findings if f["severity"] == "error"]
        primary = errors[0] if errors else None
        return {
            "verdict": "invalid" if errors else "valid",
            "class": primary["class"] if primary else None,
            "first_bad_index": position(primary) if primary and tier(primary) < 2 else None,
            "entries": n, "signed_prefix": signed, "anchored": anchored,
            "ceremonies": {"opened": opened, "closed": closed}, "quorum_met_at": quorum_sizes,
            "findings": findings,
        }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--vkey")
    parser.add_argument("--policy")
    parser.add_argument("--trusted-checkpoint", action="append", default=[])
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--now", type=int, default=int(time.time()))
    parser.add_argument("--time-tolerance", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    try:
        report = Verifier(args).run()
    except InputError as error:
        print(json.dumps({"verdict": "error", "class": error.cls, "message": str(error)}))
        return 2
    if args.json:
        print(json.dumps(report, sort_keys=True))
    else:
        print("verdict:", report["verdict"], report["class"] or "", report["first_bad_index"])
        for f in report["findings"]:
            print(" ", f["severity"], f["class"], "index", f["index"], "checkpoint", f["checkpoint"])
    return 0 if report["verdict"] == "valid" else 1


if __name__ == "__main__":
    sys.exit(main())
