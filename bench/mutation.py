"""mutmut 3 for this layout: `python bench/mutation.py <mutmut arguments>` (e.g. `run`, `results`).

mutmut names a mutant after its file's path (`lambdas/messenger/logic/cursor.py` ->
`lambdas.messenger.messages.cursor`) and only knows `src/` as a source root, while the code is imported
as `messenger.messages.cursor` (pytest.ini: `pythonpath = . lambdas`). The trampoline compares the two,
so without a mapping every mutant would count as "no tests". This wrapper teaches mutmut that
`lambdas/` is a source root, the way it treats `src/`, and otherwise runs mutmut unchanged.
mutmut forks its workers from this process, so the mapping holds in every worker.

`python bench/mutation.py sample SIZE [--seed N]` measures a random sample instead of every mutant:
it generates all of them, draws SIZE from each of two strata (the logic and models code, and the
rest: handlers, dal, adapters, composition; see `layer`), records the draw in `mutants/sample.json`
and runs mutmut on the drawn names only. bench/mutation_report.py turns it into estimates.
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

SOURCE_ROOT = "lambdas"
MUTANTS = Path("mutants")
SAMPLE_FILE = MUTANTS / "sample.json"
LOGIC_AND_MODELS = "logic and models"
HANDLER_FILES = frozenset({"api.py", "handler.py", "worker.py"})
COMPOSITION_FILES = frozenset({"dependencies.py", "__init__.py"})


def layer(module: str) -> str:
    """The layer of a module path under lambdas/, by the naming rule of docs/architecture.md."""
    parts = Path(module).parts
    name = parts[-1]
    if "adapters" in parts:
        return "adapters"
    if name == "dal.py":
        return "dal"
    if name in HANDLER_FILES:
        return "handlers"
    if name in COMPOSITION_FILES:
        return "composition"
    return LOGIC_AND_MODELS


def stratum(module: str) -> str:
    return LOGIC_AND_MODELS if layer(module) == LOGIC_AND_MODELS else "the rest"


def _install_source_root() -> None:
    import mutmut.__main__ as mutmut_main
    import mutmut.mutation.file_mutation as file_mutation
    import mutmut.utils.format_utils as format_utils

    original = format_utils.get_mutant_name

    def get_mutant_name(relative_source_path: Path, mutant_method_name: str) -> str:
        path = Path(relative_source_path)
        if path.parts and path.parts[0] == SOURCE_ROOT:
            path = Path(*path.parts[1:])
        return original(path, mutant_method_name)

    for module in (format_utils, file_mutation, mutmut_main):
        module.get_mutant_name = get_mutant_name


def _generate() -> None:
    """The first step of `mutmut run`: copy the sources and write every mutant, run nothing."""
    import mutmut.__main__ as mutmut_main
    from mutmut.mutation.trampoline import set_mutant_under_test

    set_mutant_under_test("mutant_generation")
    MUTANTS.mkdir(exist_ok=True)
    with mutmut_main.CatchOutput(spinner_title="Generating mutants"):
        mutmut_main.copy_src_dir()
        mutmut_main.copy_also_copy_files()
        mutmut_main.setup_source_paths()
        mutmut_main.store_lines_covered_by_tests()
        mutmut_main.create_mutants(os.cpu_count() or 2)


def population(mutants_dir: Path = MUTANTS) -> dict[str, list[str]]:
    """Every generated mutant's name, per stratum, in a stable order."""
    strata: dict[str, list[str]] = {LOGIC_AND_MODELS: [], "the rest": []}
    for meta_path in sorted((mutants_dir / SOURCE_ROOT).rglob("*.py.meta")):
        module = str(meta_path.relative_to(mutants_dir / SOURCE_ROOT))[: -len(".meta")]
        names = json.loads(meta_path.read_text()).get("exit_code_by_key", {})
        strata[stratum(module)].extend(sorted(names))
    return strata


def draw(strata: dict[str, list[str]], size: int, seed: int) -> dict[str, dict]:
    """SIZE names from each stratum (all of it when smaller), the same for the same seed."""
    rng = random.Random(seed)
    return {
        name: {"population": len(names), "drawn": sorted(rng.sample(names, min(size, len(names))))}
        for name, names in strata.items()
    }


def _sample(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="mutation.py sample")
    parser.add_argument("size", type=int, help="mutants drawn from each stratum")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.size < 1:
        parser.error("size must be at least 1")
    _generate()
    strata = draw(population(), args.size, args.seed)
    SAMPLE_FILE.write_text(json.dumps({"seed": args.seed, "size": args.size, "strata": strata}, indent=1))
    names = [name for part in strata.values() for name in part["drawn"]]
    for name, part in strata.items():
        print(f"sample: {len(part['drawn'])} of {part['population']} mutants of {name} (seed {args.seed})")
    return _mutmut(["run", *names])


def _mutmut(argv: list[str]) -> int:
    from mutmut.__main__ import cli

    return cli.main(args=argv, prog_name="mutmut", standalone_mode=True)


def main(argv: list[str]) -> int:
    _install_source_root()
    if argv[:1] == ["sample"]:
        return _sample(argv[1:])
    return _mutmut(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
