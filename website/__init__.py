"""The blog: a Flask app that serves Markdown posts."""
from flask import Flask


def create_app(test_config=None):
    """Build the app (placeholder until the posts layer lands)."""
    app = Flask(__name__, template_folder="../templates", static_folder="../static",
                instance_relative_config=True)
    if test_config:
        app.config.update(test_config)

    @app.get("/")
    def index():
        return "ok"

    return app
