"""Gateway routes: workflow (being built)."""


class WorkflowRoutes:
    pass
