"""Entrypoints of the ticket service: knowledge (being built)."""


class KnowledgeEntrypoints:
    pass
