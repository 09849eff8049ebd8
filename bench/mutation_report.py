"""Summarise a mutmut run: killed / survived / timed out per module, and every surviving mutant.

`python bench/mutation_report.py [--elapsed SECONDS] [--output mutation-report.md]`, from the project
root after `bench/mutation.py run`. Reads mutmut's per-file results (mutants/<file>.meta), prints the
per-module table and writes the report: the table, then each surviving mutant with its module, the
line it changes in the original file, and the diff.

A module whose mutants were not run (a run limited to some modules) is left out of the table.
Score = (killed + timed out) / (killed + survived + timed out + no tests): a mutant no test even
reaches counts as not caught.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections import Counter
from pathlib import Path

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
    for prefix in ("messenger/logic/", "messenger/models/"):
        part: Counter = Counter()
        for module, data in modules.items():
            if module.startswith(prefix):
                part.update(data["counts"])
        if part:
            rows.append(f"| {prefix} | " + " | ".join(str(part[c]) for c in COLUMNS) + f" | {_fmt(score(part))} |")
    return rows


def report(modules: dict[str, dict], elapsed: float | None) -> str:
    lines = ["# Mutation report", ""]
    if elapsed is not None:
        lines += [f"Run time: {elapsed / 60:.1f} min ({elapsed:.0f} s).", ""]
    unchecked = sum(data["unchecked"] for data in modules.values())
    if unchecked:
        lines += [f"{unchecked} mutants of these modules were not run (a run limited by MUTANTS=...).", ""]
    lines += table(modules) + ["", "## Surviving mutants", ""]
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
    Path(args.output).write_text(report(modules, args.elapsed))
    survivors = sum(len(data["survivors"]) for data in modules.values())
    print(f"\n{survivors} surviving mutants written to {args.output}")
    if args.elapsed is not None:
        print(f"run time: {args.elapsed / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
