"""Browser tests: the site in Debian's chromium, Lighthouse, page weight."""
