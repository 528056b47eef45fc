"""Use cases of the survey service: with its issue."""
