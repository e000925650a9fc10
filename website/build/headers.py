"""The security headers the site is served with, as the preview server sends them.

The same values as the Apache site (``deploy/apache/website-vhost.conf.in``;
a test checks they agree), plus the one exception a static host needs for the
build's search (:mod:`.search`): Pagefind compiles WebAssembly, which a CSP
without ``'wasm-unsafe-eval'`` forbids. It does so in a web worker,
``/pagefind/pagefind-worker.js``, and a worker started from a URL follows the
CSP of that URL's own response, not the page's: so the exception is on the
worker's file (where the search runs) and on ``/search`` (where Pagefind falls
back to when a worker can't start). Nothing else gets it.
"""
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; media-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")

# The site's policy, with WebAssembly allowed and workers from the site only.
SEARCH_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "script-src 'self';", "script-src 'self' 'wasm-unsafe-eval';") + "; worker-src 'self'"

# The URL paths served with SEARCH_CONTENT_SECURITY_POLICY on a static host.
SEARCH_POLICY_PATHS = ("/search", "/pagefind/pagefind-worker.js")

OTHER_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
)


def security_headers(path):
    """``[(name, value)]`` of the security headers for the URL path ``path``."""
    policy = (SEARCH_CONTENT_SECURITY_POLICY if path in SEARCH_POLICY_PATHS
              else CONTENT_SECURITY_POLICY)
    return [("Content-Security-Policy", policy), *OTHER_HEADERS]
