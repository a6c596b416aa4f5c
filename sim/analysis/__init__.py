"""Analysis of many runs: global sensitivity (``sensitivity``), calibration to observed
targets (``calibration``) and scenario discovery (``discovery``), with their figures
(``plots``). Model evaluations go through ``evaluate`` (one parameter set x seed per run)."""
