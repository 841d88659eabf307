#!/usr/bin/env python3
"""An independent check of a log served as C2SP tlog-tiles: argv[1] is the base URL of /log,
argv[2] the log directory on disk. Fetches the checkpoint, the level-0 hash tile(s) and entry
bundle(s) for its tree size, checks every leaf hash against entries.jsonl and the RFC 6962 root
against the checkpoint. Prints "ok <size>" or the first disagreement, exit 1."""
import base64
import hashlib
import sys
import urllib.request

base, directory = sys.argv[1].rstrip("/"), sys.argv[2]


def get(path):
    with urllib.request.urlopen(base + path, timeout=30) as response:
        return response.read()


def index_path(n):
    digits = f"{n:03d}"
    groups = [digits[max(0, i - 3):i] for i in range(len(digits), 0, -3)][::-1]
    while len(groups) > 1 and groups[0] == "000":
        groups.pop(0)
    return "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])


def fail(message):
    print(message)
    sys.exit(1)


note = get("/checkpoint").decode()
lines = note.split("\n")
size, root = int(lines[1]), base64.b64decode(lines[2])
entries = open(directory + "/entries.jsonl", "rb").read().split(b"\n")[:size]
leaves = [hashlib.sha256(b"\x00" + e).digest() for e in entries]
served_leaves, served_entries = [], []
for tile in range((size + 255) // 256):
    width = min(256, size - tile * 256)
    suffix = "" if width == 256 else f".p/{width}"
    data = get(f"/tile/0/{index_path(tile)}{suffix}")
    if len(data) != 32 * width:
        fail(f"tile 0/{tile}: {len(data)} bytes, expected {32 * width}")
    served_leaves += [data[i:i + 32] for i in range(0, len(data), 32)]
    bundle = get(f"/tile/entries/{index_path(tile)}{suffix}")
    offset = 0
    while offset < len(bundle):
        length = int.from_bytes(bundle[offset:offset + 2], "big")
        served_entries.append(bundle[offset + 2:offset + 2 + length])
        offset += 2 + length
if served_leaves != leaves:
    fail("the hash tiles disagree with entries.jsonl")
if served_entries != entries:
    fail("the entry bundles disagree with entries.jsonl")


def mth(hashes):
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(hashes[:k]) + mth(hashes[k:])).digest()


if mth(leaves) != root:
    fail("the tree from the tiles does not have the checkpoint's root")
print(f"ok {size}")
