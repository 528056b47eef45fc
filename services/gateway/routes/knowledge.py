"""Gateway routes: knowledge (being built)."""


class KnowledgeRoutes:
    pass
