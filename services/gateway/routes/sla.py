"""Gateway routes: sla (being built)."""


class SlaRoutes:
    pass
