"""WSGI entry point for Apache mod_wsgi (see deploy/apache/website.conf.in).

Apache picks the Python environment with ``python-home`` on its
``WSGIDaemonProcess`` line, so nothing here activates a virtualenv. The
project folder is the one this file sits in, wherever it was cloned.

Touching this file makes mod_wsgi restart the site's daemon processes
gracefully on the next request: that is how deploy/update.sh reloads the code.
"""
import os
import sys

PROJECT_DIR = os.path.dirname(os.path.realpath(__file__))
if PROJECT_DIR not in sys.path:
    sys.path.insert(0, PROJECT_DIR)

from website import create_app  # noqa: E402  (needs the path above)

application = create_app()
