"""Agents: learners as a vectorised population, providers and employers as Mesa agents."""
