"""The mutation-testing tools of bench/: layer rule, the sample's draw and its estimates."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import mutation  # noqa: E402
import mutation_report  # noqa: E402


@pytest.mark.parametrize(("module", "expected"), [
    ("messenger/adapters/ses.py", "adapters"),
    ("messenger/adapters/__init__.py", "adapters"),
    ("messenger/sending/dal.py", "dal"),
    ("messenger/batches/api.py", "handlers"),
    ("messenger/receipts/handler.py", "handlers"),
    ("messenger/sending/worker.py", "handlers"),
    ("messenger/api.py", "handlers"),
    ("messenger/templates/dependencies.py", "composition"),
    ("messenger/clients/__init__.py", "composition"),
    ("messenger/messages/models.py", "logic and models"),
    ("messenger/sending/dispatcher.py", "logic and models"),
    ("messenger/core/masking.py", "logic and models"),
])
def test_a_module_is_in_the_layer_its_file_name_says(module, expected):
    assert mutation.layer(module) == expected


def test_only_logic_and_models_form_the_first_stratum():
    assert mutation.stratum("messenger/limits/logic.py") == "logic and models"
    assert mutation.stratum("messenger/limits/dal.py") == "the rest"
    assert mutation.stratum("messenger/adapters/sns.py") == "the rest"


def _meta(root: Path, module: str, names: list[str]) -> None:
    path = root / "lambdas" / f"{module}.meta"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"exit_code_by_key": {name: None for name in names}}))


def test_the_population_lists_every_generated_mutant_in_its_stratum(tmp_path):
    _meta(tmp_path, "messenger/a/logic.py", ["a.logic.x_f__mutmut_2", "a.logic.x_f__mutmut_1"])
    _meta(tmp_path, "messenger/a/dal.py", ["a.dal.x_g__mutmut_1"])
    _meta(tmp_path, "messenger/adapters/s3.py", ["adapters.s3.x_h__mutmut_1"])
    assert mutation.population(tmp_path) == {
        "logic and models": ["a.logic.x_f__mutmut_1", "a.logic.x_f__mutmut_2"],
        "the rest": ["a.dal.x_g__mutmut_1", "adapters.s3.x_h__mutmut_1"],
    }


def test_a_draw_takes_size_from_each_stratum_and_repeats_for_its_seed():
    strata = {"logic and models": [f"l{i}" for i in range(100)], "the rest": ["r1", "r2", "r3"]}
    first = mutation.draw(strata, 10, seed=7)
    assert first == mutation.draw(strata, 10, seed=7)
    assert first != mutation.draw(strata, 10, seed=8)
    logic = first["logic and models"]
    assert first["logic and models"]["population"] == 100
    assert len(logic["drawn"]) == len(set(logic["drawn"])) == 10
    assert set(logic["drawn"]) <= set(strata["logic and models"])
    # a stratum smaller than the size is taken whole
    assert first["the rest"] == {"population": 3, "drawn": ["r1", "r2", "r3"]}


def test_the_wilson_interval_matches_the_textbook_values():
    low, high = mutation_report.wilson(8, 10)
    assert (round(low, 1), round(high, 1)) == (49.0, 94.3)
    low, high = mutation_report.wilson(10, 10)
    assert (round(low, 1), high) == (72.2, 100.0)
    assert mutation_report.wilson(0, 0) == (0.0, 100.0)


def _module(killed=0, survived=0, timeout=0, no_tests=0):
    return {"counts": Counter({"killed": killed, "survived": survived, "timeout": timeout, "no tests": no_tests}),
            "survivors": [], "unchecked": 0}


def test_the_estimate_weights_each_stratum_by_its_size():
    sample = {"seed": 1, "size": 10, "strata": {
        "logic and models": {"population": 300, "drawn": ["x"] * 10},
        "the rest": {"population": 100, "drawn": ["y"] * 10},
    }}
    modules = {
        "messenger/a/logic.py": _module(killed=8, timeout=1, survived=1),   # 90 %
        "messenger/a/dal.py": _module(killed=5, survived=3, no_tests=2),    # 50 %
    }
    rows = mutation_report.estimates(modules, sample)
    logic_row = next(row for row in rows if row.startswith("| logic and models"))
    rest_row = next(row for row in rows if row.startswith("| the rest"))
    whole_row = next(row for row in rows if "all of lambdas/" in row)
    assert "| 9 / 10 |" in logic_row and "90.0 %" in logic_row
    assert "| 5 / 10 |" in rest_row and "50.0 %" in rest_row
    # 0.75 x 90 % + 0.25 x 50 % = 80 %
    assert "**80.0 %**" in whole_row and "| 400 |" in whole_row


def test_a_stratum_run_whole_adds_no_uncertainty():
    sample = {"seed": 1, "size": 4, "strata": {"logic and models": {"population": 4, "drawn": ["a"] * 4}}}
    rows = mutation_report.estimates({"messenger/a/logic.py": _module(killed=3, survived=1)}, sample)
    whole_row = next(row for row in rows if "all of lambdas/" in row)
    assert whole_row.endswith("| **75.0 %** | 75.0-75.0 % |")


def test_the_table_sums_modules_by_layer():
    rows = mutation_report.table({
        "messenger/a/logic.py": _module(killed=3, survived=1),
        "messenger/b/models.py": _module(killed=1),
        "messenger/b/dal.py": _module(killed=1, survived=1),
    })
    assert "| layer: logic and models | 4 | 1 | 0 | 0 | 0 | 80.0 % |" in rows
    assert "| layer: dal | 1 | 1 | 0 | 0 | 0 | 50.0 % |" in rows
    assert rows[-2].startswith("| layer: logic and models")  # logic first, then the others by name
