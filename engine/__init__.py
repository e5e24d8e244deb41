"""Minsheng: a generic rules-and-forms engine for livelihood projects decided by deputies' vote.

Nothing in this package knows a county: every name, label, number and rule comes from a
profile folder of YAML files (see ``engine.profile``).
"""
