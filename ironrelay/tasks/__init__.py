"""The task side: @task, the registry, the retry rule, the queue manager, the worker.

Deliberately empty: ``ironrelay.tasks.registry`` and ``errors`` must import without the models.
"""
