#!/usr/bin/env python3
"""SLIP-0039 test oracle for hsmsync's Swift tests, backed by the reference implementation.

Requires the PyPI package `shamir-mnemonic` (trezor/python-shamir-mnemonic, MIT):
    python3 -m pip install shamir-mnemonic

Usage: slip39_oracle.py COMMAND, with a JSON request on stdin and a JSON answer on stdout.
  version                      -> {"version": "0.3.0"}
  combine  {"mnemonics": [...], "passphrase": "..."}
                               -> {"secret": "<hex>"} or {"error": "..."}
  split    {"secret": "<hex>", "group_threshold": 1, "groups": [[2, 3]], "passphrase": "",
            "extendable": true, "iteration_exponent": 1, "random": "<hex>" or null}
                               -> {"groups": [[mnemonic, ...], ...], "random_used": n}
           With "random", the reference draws its random bytes from that hex stream, in order, so
           its output can be compared byte for byte with another implementation fed the same stream.
  decode   {"mnemonic": "..."} -> the share's fields, or {"error": "..."}
  wordlist                     -> {"words": [the 1024 words]}

Exit status: 0 on success, 1 when the reference rejects the input, 3 when shamir-mnemonic is missing.
Test data only: secrets pass through stdin and stdout in the clear.
"""

import json
import sys

try:
    import shamir_mnemonic
    from shamir_mnemonic import MnemonicError, shamir
    from shamir_mnemonic.share import Share
except ImportError:
    print("slip39_oracle.py needs the reference implementation: python3 -m pip install shamir-mnemonic",
          file=sys.stderr)
    sys.exit(3)


def version(_request):
    from importlib.metadata import version as package_version
    return {"version": package_version("shamir-mnemonic")}


def combine(request):
    secret = shamir_mnemonic.combine_mnemonics(
        request["mnemonics"], request.get("passphrase", "").encode("ascii"))
    return {"secret": secret.hex()}


def split(request):
    stream = request.get("random")
    used = 0
    if stream is not None:
        data = bytes.fromhex(stream)

        def random_bytes(n):
            nonlocal used
            if used + n > len(data):
                raise RuntimeError("the random stream is exhausted")
            chunk = data[used:used + n]
            used += n
            return chunk

        shamir.RANDOM_BYTES = random_bytes
    groups = shamir_mnemonic.generate_mnemonics(
        request["group_threshold"],
        [tuple(group) for group in request["groups"]],
        bytes.fromhex(request["secret"]),
        request.get("passphrase", "").encode("ascii"),
        extendable=request.get("extendable", True),
        iteration_exponent=request.get("iteration_exponent", 1),
    )
    return {"groups": groups, "random_used": used}


def decode(request):
    share = Share.from_mnemonic(request["mnemonic"])
    return {
        "identifier": share.identifier,
        "extendable": share.extendable,
        "iteration_exponent": share.iteration_exponent,
        "group_index": share.group_index,
        "group_threshold": share.group_threshold,
        "group_count": share.group_count,
        "member_index": share.index,
        "member_threshold": share.member_threshold,
        "value": share.value.hex(),
    }


def wordlist(_request):
    from shamir_mnemonic.wordlist import WORDLIST
    return {"words": WORDLIST}


COMMANDS = {"version": version, "combine": combine, "split": split, "decode": decode, "wordlist": wordlist}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        print(f"usage: {sys.argv[0]} {'|'.join(COMMANDS)} < request.json", file=sys.stderr)
        return 2
    text = sys.stdin.read()
    request = json.loads(text) if text.strip() else {}
    try:
        answer = COMMANDS[sys.argv[1]](request)
    except (MnemonicError, ValueError) as error:
        print(json.dumps({"error": str(error)}))
        return 1
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
