"""Author tools: the ``flask --app website`` commands (check, new-post)."""
