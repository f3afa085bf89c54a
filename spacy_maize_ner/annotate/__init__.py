"""Annotating files with a trained pipeline: formats, streaming, resuming, scale-out on Ray."""
from .report import AnnotateReport
from .run import annotate_files, annotate_records, load_pipeline

__all__ = ["AnnotateReport", "annotate_files", "annotate_records", "load_pipeline"]
