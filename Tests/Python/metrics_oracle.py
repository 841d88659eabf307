#!/usr/bin/env python3
"""Parses Prometheus text exposition from stdin with prometheus_client's own parser (an
independent implementation) and prints the samples as JSON: [[name, {labels}, value], ...].
A document the parser rejects exits 1 with its error."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

samples = []
try:
    for family in text_string_to_metric_families(sys.stdin.read()):
        for sample in family.samples:
            samples.append([sample.name, sample.labels, sample.value])
except Exception as error:  # noqa: BLE001 - any parser refusal is the finding
    print(f"unparseable exposition: {error}", file=sys.stderr)
    sys.exit(1)
json.dump(samples, sys.stdout)
