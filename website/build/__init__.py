"""The static build: every public URL of the site written as a file, from the app itself."""
