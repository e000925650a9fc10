"""Command-line tools: ``flask --app website check``."""
import click
from flask import current_app

from .store import collection


def init_app(app):
    """Register the commands."""
    app.cli.add_command(check)


@click.command()
def check():
    """Validate every post; print path:line: message for each problem."""
    posts = collection()
    posts.refresh(force=True)
    errors = sorted(posts.errors, key=lambda e: (e.path, e.line or 0))
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        click.echo(f"{len(errors)} problem(s) in {current_app.config['POSTS_DIR']}", err=True)
        raise SystemExit(1)
    click.echo(f"{len(posts.all())} posts OK in {current_app.config['POSTS_DIR']}")
