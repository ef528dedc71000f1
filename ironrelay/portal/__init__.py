"""The customer portal: pages and a JSON API where each tenant manages its own endpoints."""
