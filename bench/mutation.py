"""mutmut 3 for this layout: `python bench/mutation.py <mutmut arguments>` (e.g. `run`, `results`).

mutmut names a mutant after its file's path (`lambdas/messenger/logic/cursor.py` ->
`lambdas.messenger.messages.cursor`) and only knows `src/` as a source root, while the code is imported
as `messenger.messages.cursor` (pytest.ini: `pythonpath = . lambdas`). The trampoline compares the two,
so without a mapping every mutant would count as "no tests". This wrapper teaches mutmut that
`lambdas/` is a source root, the way it treats `src/`, and otherwise runs mutmut unchanged.
mutmut forks its workers from this process, so the mapping holds in every worker.
"""

from __future__ import annotations

import sys
from pathlib import Path

SOURCE_ROOT = "lambdas"


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


def main(argv: list[str]) -> int:
    _install_source_root()
    from mutmut.__main__ import cli

    return cli.main(args=argv, prog_name="mutmut", standalone_mode=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
