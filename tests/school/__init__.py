"""Tests of school/."""
