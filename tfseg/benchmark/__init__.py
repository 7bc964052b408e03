"""Measuring models: the RTSeg paper's GFLOPs table (`paper_table`), profiles of one model."""

from tfseg.benchmark.paper import PAPER_GFLOPS, PAPER_NUM_CLASSES, TOLERANCE, paper_table, profile

__all__ = ["PAPER_GFLOPS", "PAPER_NUM_CLASSES", "TOLERANCE", "paper_table", "profile"]
