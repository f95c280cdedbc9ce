"""Run every benchmark module (or those named), write bench/results/<name>.json, print a table.

`python -m bench --readme` runs nothing: it rewrites the README's bench table from the results
on disk, between its `bench:table` markers, with the machine each result was measured on. A
module that has `rows(figures)` gives its own lines of the table; the others a line per figure.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
README = HERE.parent / "README.md"
TABLE_START = "<!-- bench:table start (python -m bench --readme writes this) -->"
TABLE_END = "<!-- bench:table end -->"


def machine() -> dict[str, object]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }


def modules(names: list[str]) -> list[str]:
    found = sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_"))
    return [n for n in found if not names or n in names]


def rows_of(name: str, figures: dict[str, Any]) -> list[tuple[str, str, str]]:
    module = importlib.import_module(f"bench.{name}")
    if hasattr(module, "rows"):
        return list(module.rows(figures))
    return [(name, key, json.dumps(value, ensure_ascii=False)) for key, value in figures.items()]


def table(rows: list[tuple[str, str, str]]) -> str:
    lines = ["| benchmark | figure | value |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def readme() -> int:
    """The README's bench table from bench/results/*.json, each result's machine named."""
    rows: list[tuple[str, str, str]] = []
    machines: dict[str, list[str]] = {}
    for path in sorted(RESULTS.glob("*.json")):
        result = json.loads(path.read_text())
        if not hasattr(importlib.import_module(f"bench.{result['name']}"), "rows"):
            continue
        rows += rows_of(result["name"], result["figures"])
        m = result["machine"]
        load = m.get("load_average")
        where = f"{m['cpus']} cores, {m['processor']}, {m['platform']}, Python {m['python']}" + (
            f", load average {load[0]} at the start" if load else ""
        )
        machines.setdefault(where, []).append(f"`{result['name']}` {result['when']}")
    named = "\n".join(f"- {', '.join(names)}: {where}" for where, names in machines.items())
    text = README.read_text()
    start, end = text.index(TABLE_START), text.index(TABLE_END)
    block = f"{TABLE_START}\n{table(rows)}\n\nMeasured on:\n\n{named}\n"
    README.write_text(text[:start] + block + text[end:])
    return 0


def main(argv: list[str]) -> int:
    if argv == ["--readme"]:
        return readme()
    RESULTS.mkdir(exist_ok=True)
    rows = []
    for name in modules(argv):
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "run"):
            continue
        started = time.perf_counter()
        at_start = machine()
        figures = asyncio.run(module.run())
        result = {
            "name": name,
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "seconds": round(time.perf_counter() - started, 1),
            "machine": at_start,
            "figures": figures,
        }
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
        rows += rows_of(name, figures)
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
