"""Service desk core: the SLA clock and knowledge-base article ranking, as plain Python."""
