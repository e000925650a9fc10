"""Reading and modelling posts: front matter, metadata, Markdown rendering. No Flask here."""
