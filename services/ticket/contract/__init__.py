"""The ticket service's contract index (being written: see issue 8)."""
SERVICE = "ticket"
