"""The interactive explorer (``mcsim explore``): analyst-facing levers, a scenario and its
baseline twin stepped side by side, figures, and the export that ``mcsim run`` reproduces.
The Solara page itself is ``sim/explorer/app.py``; everything here is plain Python and testable
without a browser."""
