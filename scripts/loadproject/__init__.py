"""The project the scripts run: the tests project plus a handler, a bare view and short leases."""
