"""The reference implementation: the same model written the idiomatic Mesa way, one
``mesa.Agent`` per learner, activated through ``AgentSet``. It shares the rule functions
(``sim.model.rules``), providers, employers, policy and the keyed random streams with the fast
implementation, and exists to check it (docking, ``tests/test_docking.py``) and to measure
it (``mcsim bench``). Practical up to a few thousand agents."""

from sim.reference.model import ReferenceModel, run_reference

__all__ = ["ReferenceModel", "run_reference"]
