"""Reporting rules, free of I/O (rollup grains, percentiles) arrive with the statistics
issue; the day a ticket counts on is services.common.zone.business_day."""
