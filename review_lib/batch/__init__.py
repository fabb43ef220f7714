"""``practice-review run``: plan jobs, execute notebooks in workers, export, index."""
