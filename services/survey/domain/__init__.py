"""Follow-up, questionnaire and campaign rules (V1–V5), free of I/O: with their issue."""
