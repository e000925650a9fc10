"""One build: plan every page, render what changed, swap the new output in."""
import datetime as dt
import logging
import math
import os
import shutil
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import g
from jinja2 import FileSystemBytecodeCache

from ..content import render_cache, rendering
from ..web import post_cards
from ..web.images import prepare as prepare_images
from ..web.pages import collection as page_collection
from ..web.public import public_posts
from ..web.store import collection, site_tz
from . import head_start, layout, pages as site_pages, search, workers
from .fetch import base_url, fetch
from .output import Output, OutputError
from .url_memo import memoized_url_for

logger = logging.getLogger(__name__)


class BuildError(Exception):
    """The build stopped; the previous output is left as it was."""

    def __init__(self, message, post_errors=(), page_errors=()):
        super().__init__(message)
        self.post_errors = list(post_errors)
        self.page_errors = list(page_errors)


@dataclass
class Report:
    """What a build did, for the summary line."""

    pages: int = 0
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    seconds: float = 0.0
    folder: object = None
    post_errors: list = field(default_factory=list)   # PostError, one per skipped post
    page_errors: list = field(default_factory=list)   # "url: what went wrong"
    warnings: list = field(default_factory=list)      # "url: what may go wrong where"
    files: dict = field(default_factory=dict)         # file -> {url, fingerprint, sha}
    new_files: set = field(default_factory=set)       # files written by this build
    search: object = None                             # a search.IndexRun, with Pagefind

    def summary(self):
        """One line: pages written, unchanged, removed, seconds (and the search index)."""
        errors = len(self.post_errors) + len(self.page_errors)
        extra = f", {errors} error{'s' * (errors != 1)}" if errors else ""
        index = f" ({self.search.summary()})" if self.search else ""
        return (f"{self.pages} files: {self.written} written, {self.unchanged} unchanged, "
                f"{self.removed} removed{extra} in {self.seconds:.2f} s{index}")


def build(app, out, jobs=None, strict=False, full=False, progress=None):
    """Write the site ``app`` serves into ``out``; return a :class:`Report`.

    :param jobs: worker processes (default: every core).
    :param strict: any error (a bad post, a page that fails) stops the build.
    :param full: render every page, ignoring what the last build recorded.
    :param progress: called with ``(done, total)`` as pages are finished.
    :raise BuildError: nothing was published (collision, strict error, busy output).
    """
    started = time.perf_counter()
    output = Output(out)
    try:
        output.check()
        output.lock()
    except (OSError, OutputError) as exc:
        raise BuildError(str(exc)) from None
    cache = render_cache.RenderCache(output.cache / "bodies.sqlite")
    render_cache.use(cache)
    # The build's own, beside its output: a build into a new folder reads every post.
    kept = output.cache / "posts.pickle"
    posts = app.extensions["posts"]
    posts.keep_on_disk(kept)
    jobs = jobs or cores()
    head = None
    try:
        # The posts' bodies, rendered on a spare core while this one reads
        # and plans (see head_start); forked while no other thread runs.
        if not kept.exists():
            head = head_start.start_reading(cache, posts, jobs)
        # Whether Pagefind runs here (it is asked its version) is found out
        # while the posts are read; done before any worker is forked.
        asking = threading.Thread(target=search.pagefind, name="pagefind-version", daemon=True)
        asking.start()
        with production(app), compiled_templates(app, output.cache / "templates"):
            asking.join()
            if head is None:
                head = head_start.start(cache, public_posts(), jobs)
            report = _build(app, output, jobs, strict, full, progress, head)
        posts.save()
        cache.flush()
        _prune(cache, app)
    finally:
        if head is not None:
            head.stop()
        render_cache.use(None)
        cache.close()
        output.unlock()
    report.seconds = time.perf_counter() - started
    return report


def cores():
    """The cores this process may run on (all of the machine's, unless limited)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:      # not Linux
        return os.cpu_count() or 1


@contextmanager
def compiled_templates(app, folder):
    """Jinja keeps the templates it compiles in ``folder``, for the next build.

    Each build is a new process, and compiling the templates is most of
    what a build that renders a few pages does. Jinja checks each template's
    source against what it kept.
    """
    env = app.jinja_env
    saved = env.bytecode_cache
    try:
        folder.mkdir(exist_ok=True)
        if os.access(folder, os.W_OK | os.X_OK):
            env.bytecode_cache = FileSystemBytecodeCache(str(folder))
    except OSError:
        pass        # no cache: the templates are compiled, as without one
    try:
        yield
    finally:
        env.bytecode_cache = saved


@contextmanager
def production(app):
    """``app`` as it runs live: no debug, no drafts, one look at the posts, one moment.

    The search index is left unbuilt: no page of the build searches. What
    only sets headers (the validators) is left out too: a build keeps
    bodies. URLs are worked out once each (:mod:`.url_memo`), and each post's
    card in the listings once (:mod:`..web.post_cards`). The posts as read
    are kept on disk by the build once done, not after each page.
    """
    saved = app.debug, app.config["SHOW_DRAFTS"], app.config["POSTS_CHECK_INTERVAL"]
    moment = dt.datetime.now(site_tz(app))

    def pin_now():
        g.now = moment

    hooks = app.before_request_funcs.setdefault(None, [])
    after = app.after_request_funcs.setdefault(None, [])
    teardown = app.teardown_request_funcs.setdefault(None, [])
    saved_hooks, saved_after, saved_teardown = list(hooks), list(after), list(teardown)
    app.debug = False
    app.config["SHOW_DRAFTS"] = False
    app.config["POSTS_CHECK_INTERVAL"] = math.inf
    search = app.extensions.get("search.follow")
    hooks[:] = [pin_now] + [hook for hook in hooks if hook is not search]
    after[:] = [hook for hook in after if hook is not app.extensions.get("validators")]
    teardown[:] = [hook for hook in teardown if hook is not app.extensions.get("posts.keep")]
    try:
        with app.app_context():
            collection().refresh(force=True, log=False)
            page_collection().refresh(force=True, log=False)
        # Where the pages are asked for (fetch): the URLs the planning works
        # out are then those the pages find in the memo.
        with (app.test_request_context("/", base_url=base_url(app)),
              memoized_url_for(app), post_cards.keeping(app)):
            g.now = moment
            yield
    finally:
        hooks[:], after[:], teardown[:] = saved_hooks, saved_after, saved_teardown
        app.debug, app.config["SHOW_DRAFTS"], app.config["POSTS_CHECK_INTERVAL"] = saved


def _build(app, output, jobs, strict, full, progress, head=None):
    report = Report(post_errors=collection().errors + page_collection().errors)
    if strict and report.post_errors:
        raise BuildError(f"{len(report.post_errors)} post(s) with errors (--strict)",
                         report.post_errors)
    if not search.available():
        if strict:
            raise BuildError(search.missing_message() + " (--strict)")
        report.warnings.append(search.missing_message())
    # Image variants are static files of the build: made before the list of files.
    prepare_images(collection().all() + page_collection().all())
    pages = site_pages.site_pages(site_pages.site_fingerprint(app))
    copies = _check_layout(pages)
    report.warnings += [f"static/{link}: a symbolic link, left out of the build (Apache "
                        "follows no link in static/ either)"
                        for link in site_pages.static_links(app.static_folder)]
    report.warnings += [f"{page.url}: its file {page.file} has a part starting with '.', "
                        "which some hosts hide or refuse (GitHub Pages with Jekyll, Apache "
                        "configs that deny dotfiles)"
                        for page in pages if "/." in "/" + page.file]
    previous = output.current()
    last = output.read_manifest(previous)
    manifest = {} if full else last
    carried, todo = _plan(pages, manifest, previous)
    wanted = {page.file for page in pages} | set(copies)
    old_files = set(manifest) if manifest else _files_in(previous)
    kept_index = set() if todo else search.kept_files(pages, manifest)
    if not todo and wanted | kept_index == old_files:
        # Nothing to render, and the search index (if any) is still the right one.
        report.pages = report.unchanged = len(old_files)
        report.folder = previous
        if kept_index:
            report.search = search.IndexRun(posts=sum(1 for page in pages if page.post))
        return report
    folder = output.new_folder()
    indexing = []

    def index_posts():
        # The index is made again only if the posts' pages are not all the
        # same bytes as last time (with --full too: they were all rendered).
        # Pagefind runs while the listings are rendered.
        indexing.append(search.start_index(folder, pages, previous, last, report,
                                           output.cache / "pagefind-work", jobs))
    try:
        _fill(app, folder, pages, carried, todo, previous, manifest, jobs, report, progress,
              index_posts, head)
        _copy_folder_indexes(folder, copies, report)
        report.search = indexing[0].finish()
        if strict and report.page_errors:
            raise BuildError(f"{len(report.page_errors)} page(s) failed (--strict)",
                             report.post_errors, report.page_errors)
        built = set(report.files)
        report.pages = len(built)
        report.removed = len(old_files - built)
        report.unchanged = len(built) - report.written
        if report.written == 0 and report.removed == 0 and previous is not None:
            shutil.rmtree(folder)      # nothing changed: leave the live output alone,
            # but record what its pages now depend on, so they aren't rendered again.
            output.write_manifest(previous, report.files)
            report.folder = previous
            return report
        replaced = output.publish(folder)
        output.write_manifest(folder, report.files)
        output.clean(keep={folder, replaced})
        report.folder = folder
        return report
    except BaseException:
        for running in indexing:
            running.cancel()
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _check_layout(pages):
    try:
        owners = [(page.file, page.url) for page in pages]
        copies = layout.folder_indexes([name for name, _url in owners])
        by_file = {page.file: page.url for page in pages}
        owners += [(copy, f"{by_file[original]} (its copy {copy}, for GitHub Pages)")
                   for copy, original in copies.items()]
        layout.check_collisions(owners)
    except layout.CollisionError as exc:
        raise BuildError(str(exc)) from None
    return copies


def _plan(pages, manifest, previous):
    carried, todo = [], []
    for index, page in enumerate(pages):
        entry = manifest.get(page.file)
        if (entry and entry.get("url") == page.url and entry.get("fingerprint") == page.fingerprint
                and previous is not None):
            carried.append(page)
        else:
            todo.append(index)
    return carried, todo


def _files_in(folder):
    if folder is None:
        return set()
    found = set()
    for root, _dirs, files in os.walk(folder):
        for name in files:
            found.add(os.path.relpath(os.path.join(root, name), folder).replace(os.sep, "/"))
    return found


def _fill(app, folder, pages, carried, todo, previous, manifest, jobs, report, progress,
          after_posts, head=None):
    """Render ``todo`` and carry ``carried`` into ``folder``: the posts' own pages
    first, then the rest, with ``after_posts()`` started alongside.

    Carrying a page over is a hard link: a thread makes them (system calls,
    which let the rendering go on) while each round renders.
    """
    for parent in sorted({os.path.dirname(page.file) for page in pages}):
        if parent:
            (folder / parent).mkdir(parents=True, exist_ok=True)
    job = workers.Job(app, pages, folder, previous, manifest)
    by_file = {page.file: page for page in pages}
    total, done = len(pages), 0

    def record(result):
        nonlocal done
        done += 1
        page = by_file[result.file]
        if result.outcome == "failed":
            report.page_errors.append(result.message)
            result = _keep_last_version(job, page)
            if result is None:
                return
        report.files[result.file] = {"url": page.url, "fingerprint": page.fingerprint,
                                     "sha": result.sha}
        if result.outcome == "written":
            report.written += 1
            report.new_files.add(result.file)
        if progress:
            progress(done, total)

    # Posts' own pages first: they work out each post's summary and reading
    # time, which the listings (second round) then reuse instead of every
    # worker working them out again; the cache keeps them for later builds.
    first = [i for i in todo if pages[i].post]
    second = [i for i in todo if not pages[i].post]
    if workers.forks(job, first, jobs) or workers.forks(job, second, jobs):
        # A few pages are rendered here, with only what they need (while the
        # head start still renders on the other core).
        _warm(app)
    cache = render_cache._active
    if head is not None:
        head.stop()     # before the workers are forked: what it rendered is in the cache
    if cache is not None:
        workers.recall(app, cache)
    index = {page.file: i for i, page in enumerate(pages)}

    def round_of(indexes, carry, on_result, then=None):
        """Render ``indexes`` while ``carry`` is linked; what failed to link is rendered then.

        ``then()`` and the links start once the workers are forked (a
        process forked while other threads run may inherit their locks held).
        """
        linking = []

        def started():
            if then is not None:
                then()
            linking.append(_Carrying(job, carry))
        try:
            workers.run(job, indexes, jobs, on_result, started)
        finally:
            linked = linking[0].results() if linking else []     # done linking, even on error
        for result in linked:
            record(result)
        workers.run(job, [index[page.file] for page in linking[0].gone], jobs, on_result)

    results = []
    round_of(first, [page for page in carried if page.post],
             lambda result: (results.append(result), record(result)))
    absorbed = workers.absorb(app, pages, results)
    if cache is not None:
        cache.put_facts(absorbed)
    round_of(second, [page for page in carried if not page.post], record, then=after_posts)


class _Carrying:
    """Pages carried over from the last build, linked in a thread of their own."""

    def __init__(self, job, pages):
        self.job, self.pages = job, pages
        self.linked, self.gone = [], []     # Results; pages whose last file is gone
        self._thread = threading.Thread(target=self._link, name="carry-over", daemon=True)
        self._thread.start()

    def _link(self):
        for page in self.pages:
            try:
                self.linked.append(workers.carry_over(self.job, page))
            except OSError:     # gone from the previous output: rendered after all
                self.gone.append(page)

    def results(self):
        """Wait for the links; the :class:`workers.Result` of each page linked."""
        self._thread.join()
        return self.linked


def _warm(app):
    """Work out in the parent what every worker would otherwise work out again.

    Templates compiled, Markdown converters built, static files' hashes
    known: the forked workers start with them.
    """
    for name in app.jinja_env.list_templates():
        if name.endswith(".html"):
            app.jinja_env.get_template(name)
    rendering.render("")
    rendering.plain_text("")
    fetch(app, "/" + layout.NOT_FOUND_FILE)


def _keep_last_version(job, page):
    """A failed page keeps the last build's file, if any (and is retried next time)."""
    if job.previous is None or not (job.previous / page.file).is_file():
        return None
    workers.link_or_copy(job.previous / page.file, job.folder / page.file)
    page.fingerprint = ""
    return workers.Result(page.file, "unchanged", "")


def _copy_folder_indexes(folder, copies, report):
    for copy, original in copies.items():
        if original in report.files:
            workers.link_or_copy(folder / original, folder / copy)
            report.files[copy] = dict(report.files[original], fingerprint="", copy_of=original)
            if original in report.new_files:
                report.written += 1


def _prune(cache, app):
    with app.app_context():
        posts = collection().all()
    cache.prune([post.body for post in posts])
