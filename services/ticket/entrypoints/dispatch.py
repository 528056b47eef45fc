"""Entrypoints of the ticket service: dispatch (being built)."""


class DispatchEntrypoints:
    pass
