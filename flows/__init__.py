"""Prefect only: the flows, their schedules and deployments, and Prefect's settings.

Each flow is a thin call into `chase` or `cases`; the rules live there, testable without Prefect.
"""
