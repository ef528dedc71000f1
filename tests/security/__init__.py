"""Security tests: no secret in logs or pages, replay and SSRF refusals, dashboard access rules."""
