"""Hostile request targets, as raw bytes: traversal in every encoding, overlong
paths, control bytes, invalid UTF-8 and template injection, on every kind of URL."""
import itertools

# What lies outside what may be served: the project's own files, and the system's.
TARGETS = [".git/config", ".git/HEAD", "posts/post-1.md", "website.wsgi", "website/__init__.py",
           "website/config.py", "requirements.txt", ".venv/pyvenv.cfg", "instance/config.py",
           "setup.sh", "deploy/update.sh", ".build-cache/manifest.json", "etc/passwd",
           "build/../website.wsgi", ".build-cache/lock"]
# "../" written every way a server or a framework might decode it.
DOT_DOT = ["../", "..%2f", "..%2F", "%2e%2e/", "%2e%2e%2f", "%2E%2E%2F", "%252e%252e%252f",
           "..%252f", ".%2e/", "%2e./", "..\\", "..%5c", "%2e%2e%5c", "%c0%ae%c0%ae/",
           "%c0%ae%c0%ae%c0%af", "..%c0%af", "..%c1%9c", "%e0%80%ae%e0%80%ae/", "..%u2215",
           "%uff0e%uff0e/", "....//", "..;/", ".././", "%2e%2e%00/", "..%00/"]
PREFIXES = ["/", "/static/", "/static/css/", "/blog/", "/blog/tag/", "/website/", "/build/"]
CONTROL = ["%00", "%01", "%0a", "%0d", "%0d%0aX-Injected:%20yes", "%1b[31m", "%7f", "%09", "\x01",
           "\x7f"]
BAD_UTF8 = ["%ff", "%fe%ff", "%c3%28", "%a0%a1", "%e2%28%a1", "%f0%28%8c%bc", "%c0%80", "%ed%a0%80",
            "%f8%88%80%80%80", "\xff".encode("latin-1").decode("latin-1")]
TEMPLATES = ["{{7*7}}", "{{config}}", "{{config.items()}}", "{%print(7*7)%}", "${7*7}", "#{7*7}",
             "<%= 7*7 %>", "{{''.__class__.__mro__[1].__subclasses__()}}", "{{request.environ}}",
             "{{self._TemplateReference__context}}", "%7B%7B7*7%7D%7D", "<script>alert(1)</script>",
             "'\"><svg onload=alert(1)>"]
PAGES = ["/", "/blog", "/blog/post-1", "/blog/tag/common", "/feed.xml", "/search", "/sitemap.xml",
         "/static/css/site.css"]


def hostile_urls():
    """At least 500 distinct request targets, as bytes."""
    urls = []
    for prefix, dots, target in itertools.product(PREFIXES, DOT_DOT, TARGETS[:6]):
        urls.append(prefix + dots * 4 + target)
    for target in TARGETS:
        urls += ["/" + target, "/static/../" + target, "/./" + target, "//" + target,
                 "/static/%2e%2e/" + target, "/blog/..%2f" + target]
    for page, bad in itertools.product(PAGES, CONTROL + BAD_UTF8):
        urls.append(page + bad)
        urls.append(page + "?q=" + bad)
    for page, template in itertools.product(PAGES[:6], TEMPLATES):
        urls.append(page + "/" + template)
        urls.append(page + "?q=" + template)
        urls.append(page + "?page=" + template)
    urls += ["/" + "a" * n for n in (255, 256, 1024, 4096, 8000, 9000, 20000)]
    urls += ["/blog/" + "%2e%2e/" * n + "etc/passwd" for n in (50, 500)]
    urls += ["/blog?page=" + "9" * n for n in (5, 20, 400)]
    urls += ["/search?q=" + "x" * n for n in (1000, 5000, 9000)]
    urls += ["*", "http://127.0.0.1/", "/%", "/%%", "/%zz", "/blog/%", "/static/%2f%2f/etc/passwd",
             "/static/css/site.css%00.html", "/blog/post-1%00", "/blog/post-1.html%00"]
    seen, out = set(), []
    for url in urls:
        raw = url.encode("utf-8", "surrogateescape") if isinstance(url, str) else url
        raw = raw.replace(b" ", b"%20")
        if raw not in seen:
            seen.add(raw)
            out.append(raw)
    return out
