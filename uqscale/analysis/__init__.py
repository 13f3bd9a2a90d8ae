"""Analyses: one module per method (a few for PCE), each declaring a
:class:`~uqscale.analysis.method.Method` listed in :mod:`uqscale.analysis.registry`;
:func:`uqscale.analysis.run_all.analyze_all` runs them into one labelled tree.
"""
