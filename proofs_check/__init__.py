"""Symbolic (sympy) checks of the papers' formulas, constants and lemma algebra.

The simulator is tested against these derivations; each check fails loudly if a step of the
paper's algebra does not follow.
"""
