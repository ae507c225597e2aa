#!/usr/bin/env python3
"""Write tests/it/validation_record.rs from a validate run's validation.csv.

Usage:
    immunoporosis validate --out /tmp/val --force
    python3 scripts/results/validation_record.py /tmp/val/validation.csv > tests/it/validation_record.rs

The record is the committed model's verdicts (`tests/it/validation.rs` holds them); regenerate it
only when the model changed on purpose, and update docs/validation_misses.md with it.
Standard library only.
"""
import csv
import json
import sys


def emit(name, doc, names):
    print(doc)
    print(f"const {name}: [&str; {len(names)}] = [")
    for n in names:
        print(f"    {json.dumps(n)},")
    print("];\n")


def main(path):
    rows = list(csv.DictReader(open(path, newline="")))
    print("// Written by scripts/results/validation_record.py from a validate run; do not edit by hand.\n")
    emit("WITHIN", "/// The bundled outcomes the committed model reproduces within their band.",
         [r["outcome"] for r in rows if r["verdict"] == "within"])
    emit("WRONG_DIRECTION",
         "/// The bundled outcomes the committed model gets in the wrong direction (docs/validation.md).",
         [r["outcome"] for r in rows if r["verdict"] == "wrong direction"])


if __name__ == "__main__":
    main(sys.argv[1])
