"""Reporting rules, free of I/O: what a ticket's fact adds to each rollup (facts.py) and
how figures are read — periods in China, scope, percentiles, series (figures.py)."""
