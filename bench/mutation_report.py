"""Summarise a mutmut run: killed / survived / timed out per module, and every surviving mutant.

`python bench/mutation_report.py [--elapsed SECONDS] [--output mutation-report.md]`, from the project
root after `bench/mutation.py run`. Reads mutmut's per-file results (mutants/<file>.meta), prints the
per-module table and writes the report: the table, then each surviving mutant with its module, the
line it changes in the original file, and the diff.

A module whose mutants were not run (a run limited to some modules) is left out of the table.
Score = (killed + timed out) / (killed + survived + timed out + no tests): a mutant no test even
reaches counts as not caught. Rows per layer follow (`mutation.layer`: the file-name rule of
docs/architecture.md).

After `bench/mutation.py sample` (mutants/sample.json), it also prints estimates: each stratum's
score with its 95 % Wilson interval, and the whole of lambdas/ weighted by the strata's sizes.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections import Counter
from math import sqrt
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mutation import LOGIC_AND_MODELS, SAMPLE_FILE, layer, stratum  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SOURCE_ROOT = "lambdas"
MUTANTS = Path("mutants")

# mutmut's exit-code classes (mutmut.stats.status_by_exit_code), folded into the columns we show.
COLUMNS = ("killed", "survived", "timeout", "no tests", "other")


def _column(status: str) -> str:
    if status in ("killed", "survived", "timeout", "no tests"):
        return status
    if status == "caught by type check":
        return "killed"
    return "other"  # suspicious, segfault, skipped, interrupted


def _status_names() -> dict[int | None, str]:
    from mutmut.stats import status_by_exit_code

    return dict(status_by_exit_code)


def _function_lines(source: str) -> dict[str, int]:
    """mutmut's mangled function name (x_name, xǁClassǁname) -> line of its `def`."""
    lines: dict[str, int] = {}
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines[f"x_{node.name}"] = node.lineno
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    lines[f"xǁ{node.name}ǁ{item.name}"] = item.lineno
    return lines


_HUNK = re.compile(r"^@@ -(\d+)")


def _changed_line(diff: str, def_line: int | None) -> int | None:
    """The first original line the mutant changes, counted in the source file."""
    if def_line is None:
        return None
    position = None
    for line in diff.splitlines():
        match = _HUNK.match(line)
        if match:
            position = int(match.group(1))
            continue
        if position is None or line.startswith(("---", "+++")):
            continue
        if line.startswith(("-", "+")):
            return def_line + position - 1
        position += 1
    return None


def collect(mutants_dir: Path = MUTANTS) -> dict[str, dict]:
    """Per module (path under lambdas/): counts per column and the surviving mutants."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    statuses = _status_names()
    modules: dict[str, dict] = {}
    for meta_path in sorted((mutants_dir / SOURCE_ROOT).rglob("*.py.meta")):
        meta = json.loads(meta_path.read_text())
        codes = meta.get("exit_code_by_key", {})
        checked = {name: code for name, code in codes.items() if code is not None}
        if not checked:
            continue
        source_path = Path(str(meta_path.relative_to(mutants_dir))[: -len(".meta")])
        module = str(source_path.relative_to(SOURCE_ROOT))
        counts = Counter(_column(statuses.get(code, "other")) for code in checked.values())
        def_lines = _function_lines(source_path.read_text())
        survivors = []
        for name, code in checked.items():
            if statuses.get(code) not in ("survived", "no tests"):
                continue
            try:
                diff = get_diff_for_mutant(name, path=source_path)
            except Exception as error:  # noqa: BLE001 - a report line is better than no report
                diff = f"(diff unavailable: {error})"
            function = name.rpartition(".")[2].partition("__mutmut_")[0]
            survivors.append({
                "name": name,
                "status": statuses[code],
                "line": _changed_line(diff, def_lines.get(function)),
                "diff": diff,
            })
        survivors.sort(key=lambda s: (s["line"] or 0, s["name"]))
        modules[module] = {"counts": counts, "survivors": survivors, "unchecked": len(codes) - len(checked)}
    return modules


def score(counts: Counter) -> float | None:
    caught = counts["killed"] + counts["timeout"]
    total = caught + counts["survived"] + counts["no tests"]
    return 100.0 * caught / total if total else None


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} %"


def table(modules: dict[str, dict]) -> list[str]:
    rows = ["| module | killed | survived | timeout | no tests | other | score |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    total: Counter = Counter()
    for module, data in modules.items():
        counts = data["counts"]
        total.update(counts)
        rows.append(f"| {module} | " + " | ".join(str(counts[c]) for c in COLUMNS) + f" | {_fmt(score(counts))} |")
    rows.append("| **all run** | " + " | ".join(f"**{total[c]}**" for c in COLUMNS) + f" | **{_fmt(score(total))}** |")
    by_layer: dict[str, Counter] = {}
    for module, data in modules.items():
        by_layer.setdefault(layer(module), Counter()).update(data["counts"])
    for name in sorted(by_layer, key=lambda name: (name != LOGIC_AND_MODELS, name)):
        part = by_layer[name]
        rows.append(f"| layer: {name} | " + " | ".join(str(part[c]) for c in COLUMNS) + f" | {_fmt(score(part))} |")
    return rows


def wilson(caught: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion, in per cent."""
    if not total:
        return (0.0, 100.0)
    p = caught / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return (100.0 * max(0.0, centre - half), 100.0 * min(1.0, centre + half))


def estimates(modules: dict[str, dict], sample: dict) -> list[str]:
    """Per stratum and for all of lambdas/: the sample's score, its interval, what it stands for."""
    per: dict[str, Counter] = {name: Counter() for name in sample["strata"]}
    for module, data in modules.items():
        per.setdefault(stratum(module), Counter()).update(data["counts"])
    rows = [f"Sample of seed {sample['seed']}: {sample['size']} mutants drawn from each stratum.", "",
            "| stratum | mutants | drawn | killed + timed out / run | score | 95 % interval |",
            "|---|---:|---:|---|---:|---|"]
    weighted = variance = 0.0
    population = sum(part["population"] for part in sample["strata"].values())
    for name, part in sample["strata"].items():
        counts = per[name]
        caught = counts["killed"] + counts["timeout"]
        run = caught + counts["survived"] + counts["no tests"]
        low, high = wilson(caught, run)
        rows.append(f"| {name} | {part['population']} | {len(part['drawn'])} | {caught} / {run} | "
                    f"{_fmt(score(counts))} | {low:.1f}-{high:.1f} % |")
        if run:
            share = part["population"] / population
            p = caught / run
            weighted += share * p
            # finite-population correction: a stratum drawn whole has no sampling error
            fpc = (part["population"] - run) / max(part["population"] - 1, 1)
            variance += share * share * p * (1 - p) / run * fpc
    half = 1.96 * sqrt(variance)
    rows.append(f"| **all of lambdas/** (weighted by stratum size) | {population} | | | "
                f"**{100 * weighted:.1f} %** | {100 * max(0.0, weighted - half):.1f}-{100 * min(1.0, weighted + half):.1f} % |")
    return rows


def _sample() -> dict | None:
    return json.loads(SAMPLE_FILE.read_text()) if SAMPLE_FILE.exists() else None


def report(modules: dict[str, dict], elapsed: float | None) -> str:
    lines = ["# Mutation report", ""]
    if elapsed is not None:
        lines += [f"Run time: {elapsed / 60:.1f} min ({elapsed:.0f} s).", ""]
    unchecked = sum(data["unchecked"] for data in modules.values())
    if unchecked:
        lines += [f"{unchecked} mutants of these modules were not run (a run limited by MUTANTS=...).", ""]
    lines += table(modules) + [""]
    sample = _sample()
    if sample:
        lines += ["## Estimates from the sample", ""] + estimates(modules, sample) + [""]
    lines += ["## Surviving mutants", ""]
    for module, data in modules.items():
        for survivor in data["survivors"]:
            where = f"line {survivor['line']}" if survivor["line"] else "line ?"
            lines += [f"### {module}, {where}: `{survivor['name']}` ({survivor['status']})", "",
                      "```diff", survivor["diff"], "```", ""]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elapsed", type=float, help="the run's wall time in seconds, for the report")
    parser.add_argument("--output", default="mutation-report.md")
    args = parser.parse_args(argv)
    modules = collect()
    if not modules:
        print("No mutmut results under mutants/: run `make mutation` first.")
        return 1
    print("\n".join(table(modules)))
    sample = _sample()
    if sample:
        print("\n" + "\n".join(estimates(modules, sample)))
    Path(args.output).write_text(report(modules, args.elapsed))
    survivors = sum(len(data["survivors"]) for data in modules.values())
    print(f"\n{survivors} surviving mutants written to {args.output}")
    if args.elapsed is not None:
        print(f"run time: {args.elapsed / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
