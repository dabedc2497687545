"""Worked, dated scenarios of the law (spec §8 style), one file per area."""
