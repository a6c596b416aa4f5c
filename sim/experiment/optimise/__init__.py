"""``mcsim optimise``: the best lever mix for an annual budget, robust across parameter draws.

- ``space``: the lever space and the budget split, as the unit cube the optimiser searches;
- ``levers``: that space built from the settings and checked before any run;
- ``store``: every evaluation, keyed by (candidate values, draw, seed), durable;
- ``search``: pymoo's NSGA-II/III through the store and the executors (and test problems);
- ``model``: the model as an evaluator (paired, robust objectives), the recommended mixes.
"""
