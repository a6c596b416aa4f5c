"""mcsim: an agent-based policy simulator for micro-credentials, lifelong learning and
digital equity in Malaysia."""

__version__ = "0.1.0"
