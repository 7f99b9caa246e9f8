#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpus into FOLDER/<target>/: the example requests, configs and catalog, and
every response payload in the vendored Shopify captures."""
import json
import pathlib
import shutil
import sys

root = pathlib.Path(__file__).resolve().parent.parent
out = pathlib.Path(sys.argv[1])
for target in ("request", "config", "catalog", "response"):
    (out / target).mkdir(parents=True, exist_ok=True)
for path in sorted((root / "spool-example" / "requests").glob("*")):
    shutil.copy(path, out / "request" / path.name)
for path in (root / "spool-example" / "config.toml", root / "docs" / "config.toml.example"):
    shutil.copy(path, out / "config" / path.name)
shutil.copy(root / "spool-example" / "catalog.csv", out / "catalog" / "catalog.csv")


def payloads(value):
    if isinstance(value, dict):
        if "status" in value and "payload" in value:
            yield value["payload"]
        for child in value.values():
            yield from payloads(child)
    elif isinstance(value, list):
        for child in value:
            yield from payloads(child)


count = 0
for path in sorted((root / "vendor" / "shopify" / "fixtures").rglob("*.json")):
    for payload in payloads(json.loads(path.read_text())):
        if isinstance(payload, dict):
            (out / "response" / f"capture-{count:03d}.json").write_text(json.dumps(payload))
            count += 1
print(f"seeds: {sum(1 for _ in out.rglob('*') if _.is_file())} files in {out} ({count} captured responses)")
