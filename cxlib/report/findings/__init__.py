"""Findings text: the sentences a notebook prints, one module per analysis area.

Each function takes result objects and returns a list of sentences whose numbers are
taken from those results (never typed by hand); an interval is written with
:func:`cxlib.core.inference.format_interval`, a suppressed cell with
:func:`cxlib.core.inference.format_suppressed`.
"""
