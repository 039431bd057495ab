#!/usr/bin/env python3
"""Writes raw/nhtsa-ford-f8.tsv: a deterministic, stratified subsample of Ford's "F8" (body exterior
and closures) export of NHTSA complaints, so that one make and one function do not swamp the corpus.

    python3 data/triage/tools/subsample_ford_f8.py NHTSA_EXTRA_TSV FORD_BINNING_TSV

Inputs (not in the repository, see data/triage/PROVENANCE.md): the 4,371 records extracted from
Vitor-labs/ManyPipelines@54f465668bbeb63c7c2aab722fdddbfe5b21ad8e data/raw/F8_BACKUP_19-02-2024.xlsx
and data/raw/F8_BACKUP.xlsx (columns of raw/nhtsa-complaints.tsv, COMPDESC empty), and Ford's
binning per ODINO ("DOOR LATCH | FROZEN").

Stratum = Ford's component (the part before "|"). Records whose component is UNKNOWN are left
out. Of a component with n records, the 1 + floor(sqrt(n) / 2) with the smallest sha256(ODINO)
are kept. Output rows are sorted by ODINO; column FORD_BINNING is appended.
"""
import csv
import hashlib
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "raw", "nhtsa-ford-f8.tsv")


def component(binning):
    return binning.split("|")[0].strip().upper()


def main():
    records, binning = sys.argv[1], sys.argv[2]
    bins = {r["ODINO"]: r["FORD_BINNING"].strip() for r in csv.DictReader(open(binning, newline=""), delimiter="\t")}
    with open(records, newline="") as f:
        reader = csv.DictReader(f, delimiter="\t")
        header = reader.fieldnames + ["FORD_BINNING"]
        rows = [dict(r, FORD_BINNING=bins[r["ODINO"]]) for r in reader]
    strata = {}
    for r in rows:
        c = component(r["FORD_BINNING"])
        if c in ("", "UNKNOWN", "UNKNOW", "~"):
            continue
        strata.setdefault(c, []).append(r)
    kept = []
    for c, items in strata.items():
        items.sort(key=lambda r: hashlib.sha256(r["ODINO"].encode()).hexdigest())
        kept += items[: 1 + int(math.sqrt(len(items)) / 2)]
    kept.sort(key=lambda r: int(r["ODINO"]))
    with open(OUT, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, delimiter="\t", lineterminator="\n")
        w.writeheader()
        w.writerows(kept)
    print(len(rows), "records,", len(strata), "components,", len(kept), "kept", file=sys.stderr)


if __name__ == "__main__":
    main()
