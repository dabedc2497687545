"""Tests of cases/."""
