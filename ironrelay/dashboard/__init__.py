"""The staff dashboard at /ironrelay/: overview, lists, details and actions."""
