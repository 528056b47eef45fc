"""Entrypoints of the ticket service: forms (being built)."""


class FormsEntrypoints:
    pass
