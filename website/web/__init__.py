"""The Flask side: the post store, the pages, feeds, sitemap and head tags."""
