// The blog's CloudFront Function (runtime cloudfront-js-2.0), run on every
// viewer request before the cache. It serves the site's own URLs from the
// files `flask --app website build` writes:
//   /                      -> /index.html
//   /blog, /blog/<slug>,   -> /blog.html, /blog/<slug>.html, ... (slugs and
//   /blog/tag/<tag>, ...      tags may hold dots or parentheses; the URI stays
//                             encoded as sent and S3 decodes it to the object
//                             key, but "+" goes as "%2B": S3 reads "+" as a space)
//   /feed.xml, /static/... -> unchanged (a file the site serves by its name)
//   /pagefind/...          -> unchanged (the search index: .pf_* and .pagefind files)
// A path ending in "/" is redirected (301) to the same path without it, the
// way the app answers /blog/; so is /blog/page/1, to /blog. A request to
// www.<domain> is redirected (301) to <domain>, path and query string kept.
// A URI that names no object falls through to S3, and CloudFront answers
// with /404.html and status 404.
// The template deploy/aws/cdn.yaml embeds this file: after editing it, run
// `make cdn-template` (a test checks the two match).

// Extensions of the files the site serves under their own name outside
// /static/ (feeds, sitemap, robots.txt, code.css). Any other last segment
// names a page: ".html" is added.
var FILE_EXTENSIONS = [
    'html', 'xml', 'txt', 'css', 'js', 'json', 'webmanifest', 'ico', 'png',
    'svg', 'jpg', 'jpeg', 'gif', 'webp', 'avif', 'pdf', 'woff', 'woff2', 'map'
];
// URLs the app redirects (301) to the page they duplicate.
var REDIRECTS = {'/blog/page/1': '/blog'};
// A post (/blog/<slug>) or a tag (/blog/tag/<tag>) is a page whatever its name
// holds: a post "release-1.2", a tag "node.js".
var PAGE_PATH = /^\/blog\/(tag\/)?[^\/]+$/;

function handler(event) {
    var request = event.request;
    var host = request.headers.host ? request.headers.host.value.toLowerCase() : '';
    var query = queryString(request.querystring);
    if (host.indexOf('www.') === 0) {
        return redirect('https://' + host.substring(4) + request.uri + query);
    }
    if (request.uri.length > 1 && request.uri.charAt(request.uri.length - 1) === '/') {
        return redirect(withoutTrailingSlashes(request.uri) + query);
    }
    if (Object.prototype.hasOwnProperty.call(REDIRECTS, request.uri)) {
        return redirect(REDIRECTS[request.uri] + query);
    }
    request.uri = objectPath(request.uri).replace(/\+/g, '%2B');
    return request;
}

// objectPath: the object that answers a (still percent-encoded) URI path.
function objectPath(uri) {
    if (uri === '/' || uri === '') {
        return '/index.html';
    }
    if (uri.indexOf('/static/') === 0 || uri.indexOf('/pagefind/') === 0) {
        return uri;
    }
    var name = uri.substring(uri.lastIndexOf('/') + 1);
    if (name === 'index' || uri === '/404') {
        // Names of files (index.html copies, the error page), not URLs of
        // the site: left as they are, they reach no object, as in the app.
        return uri;
    }
    var dot = name.lastIndexOf('.');
    var extension = dot > 0 ? name.substring(dot + 1).toLowerCase() : '';
    if (FILE_EXTENSIONS.indexOf(extension) !== -1 && !PAGE_PATH.test(uri)) {
        return uri;
    }
    return uri + '.html';
}

// "/blog/" -> "/blog"; "//" -> "/". Never "//host": that would leave the site.
function withoutTrailingSlashes(uri) {
    return '/' + uri.replace(/^\/+/, '').replace(/\/+$/, '');
}

// The query string as the viewer sent it: CloudFront hands over each name
// and value still percent-encoded, a repeated name as multiValue.
function queryString(querystring) {
    var parts = [];
    var names = Object.keys(querystring || {});
    for (var i = 0; i < names.length; i++) {
        var entry = querystring[names[i]];
        var values = entry.multiValue ? entry.multiValue : [entry];
        for (var j = 0; j < values.length; j++) {
            var value = values[j].value;
            parts.push(value === '' ? names[i] : names[i] + '=' + value);
        }
    }
    return parts.length ? '?' + parts.join('&') : '';
}

function redirect(location) {
    return {
        statusCode: 301,
        statusDescription: 'Moved Permanently',
        headers: {
            location: {value: location},
            'cache-control': {value: 'public, max-age=3600'}
        }
    };
}
