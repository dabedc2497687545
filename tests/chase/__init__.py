"""Tests of chase/."""
