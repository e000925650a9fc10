// Runs the CloudFront Function in deploy/aws/cdn-function.js under Node, the
// way CloudFront calls it: the code alone in a fresh context (no require, no
// process, no network), then handler(event) for each viewer request.
//
// Usage: node tests/cdn_function_run.js FUNCTION.js <requests.json
//   requests.json: [{"host": "example.com", "uri": "/blog", "querystring": {...}}, ...]
// Prints one JSON result per request, in order:
//   {"uri": "/blog.html", "querystring": {...}}             the request goes on to S3
//   {"status": 301, "location": "...", "cacheControl": "..."} answered by the function
'use strict';

const fs = require('fs');
const vm = require('vm');

function load(path) {
    const context = vm.createContext({});
    vm.runInContext(fs.readFileSync(path, 'utf8'), context, {filename: path});
    if (typeof context.handler !== 'function') {
        throw new Error(path + ' defines no handler(event)');
    }
    return context.handler;
}

function event(request) {
    return {
        version: '1.0',
        context: {eventType: 'viewer-request', distributionId: 'EDFDVBD6EXAMPLE'},
        viewer: {ip: '198.51.100.7'},
        request: {
            method: 'GET',
            uri: request.uri,
            querystring: request.querystring || {},
            headers: {host: {value: request.host}, accept: {value: 'text/html'}},
            cookies: {}
        }
    };
}

function describe(result) {
    if (result.statusCode !== undefined) {
        const headers = result.headers || {};
        return {
            status: result.statusCode,
            location: headers.location ? headers.location.value : null,
            cacheControl: headers['cache-control'] ? headers['cache-control'].value : null
        };
    }
    return {uri: result.uri, querystring: result.querystring};
}

function main() {
    const handler = load(process.argv[2]);
    const requests = JSON.parse(fs.readFileSync(0, 'utf8'));
    const results = requests.map((request) => describe(handler(event(request))));
    process.stdout.write(JSON.stringify(results));
}

main();
