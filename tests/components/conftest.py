"""Fixtures of the component tests (helpers live in ``component_plan``)."""

from component_plan import plan

__all__ = ["plan"]
