"""The seed benchmark records every hidden assert's outcome and margin, without stopping."""

from __future__ import annotations

from pathlib import Path

from benchmarks import seeds

CHAPTER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A claim that needs a lucky seed

```{code-cell} ipython3
import os

SEED = int(os.environ.get("DLCOURSE_SEED", "0"))
value = 2 + SEED
```

```{code-cell} ipython3
:tags: [remove-cell]

assert value < 2.5, "holds at seed 0 only"
assert 0 <= value < 10
for bound in (5, 4):
    assert value < bound
assert value == value
```
"""


def test_hidden_asserts_record_held_and_margin_per_seed(tmp_path: Path):
    path = tmp_path / "claims.md"
    path.write_text(CHAPTER)
    at = {seed: seeds.run(path, seed)["claims"] for seed in (0, 1)}
    lines = sorted(at[0], key=int)
    first, chained, in_loop, plain = (at[0][k] for k in lines)
    assert first["held"] and abs(first["margin"] - 0.5 / 2.5) < 1e-9
    failed = at[1][lines[0]]
    assert not failed["held"] and failed["margin"] < 0  # seed 1: 3 < 2.5 fails ...
    assert at[1][lines[3]]["ran"]  # ... and the chapter ran on to the later claims
    assert chained["held"] and chained["margin"] == 0.8  # min of 0 <= 2 and 2 < 10
    assert in_loop["margin"] == 0.5  # the tighter bound of the loop: 2 < 4
    assert plain["held"] and plain["margin"] is None
    report = {
        "seeds": [0, 1],
        "pages": {
            "claims.md": {
                "0": {"error": None, "claims": at[0]},
                "1": {"error": None, "claims": at[1]},
            }
        },
    }
    text = seeds.table(report)
    assert "FAILS -20%" in text and "ok +20%" in text
