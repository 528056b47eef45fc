"""All SQL of the survey service: with its issue."""
