"""Entrypoints of the ticket service: workflow (being built)."""


class WorkflowEntrypoints:
    pass
