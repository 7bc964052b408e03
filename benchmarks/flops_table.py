"""Re-measures the paper's GFLOPs table and rewrites it in README.md.

    .venv/bin/python benchmarks/flops_table.py          (or: make flops-table)

Runs the same code as `tfseg flops --all` and replaces the block between the
`<!-- flops-table:start -->` and `<!-- flops-table:end -->` markers.
"""

import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from tfseg.benchmark import paper_table  # noqa: E402
from tfseg.io import replace_marked_block  # noqa: E402

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- flops-table:start -->", "<!-- flops-table:end -->"


def main():
    table, all_within = paper_table()
    replace_marked_block(README, START, END, table)
    print(table)
    return 0 if all_within else 1


if __name__ == "__main__":
    sys.exit(main())
