"""The customer service's contract index (being written: see issue 8)."""
SERVICE = "customer"
