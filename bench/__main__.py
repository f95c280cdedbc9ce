"""Run every benchmark module (or those named), write bench/results/<name>.json, print a table."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def machine() -> dict[str, object]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


def modules(names: list[str]) -> list[str]:
    found = sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_"))
    return [n for n in found if not names or n in names]


def main(argv: list[str]) -> int:
    RESULTS.mkdir(exist_ok=True)
    rows = []
    for name in modules(argv):
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "run"):
            continue
        started = time.perf_counter()
        figures = asyncio.run(module.run())
        result = {
            "name": name,
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "seconds": round(time.perf_counter() - started, 1),
            "machine": machine(),
            "figures": figures,
        }
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
        for key, value in figures.items():
            rows.append((name, key, value))
    print("| benchmark | figure | value |")
    print("|---|---|---|")
    for name, key, value in rows:
        print(f"| {name} | {key} | {value} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
