#!/usr/bin/env node
// cosmosdb-server behind a small correcting proxy, for tests and local runs.
//
// cosmosdb-server (npm @vercel/cosmosdb-server) implements the Cosmos DB REST API in memory, but differs from
// Cosmos DB in ways that would hide bugs or make correct code fail. This script starts it in this process on an
// internal loopback port and serves a proxy in front of it that corrects the deviations listed in
// docs/emulators.md (each correction below names its entry there). Production code is written for real Cosmos DB;
// only this proxy knows about the emulator's quirks.
//
// Usage: node tests/emulators/cosmos-proxy.js [--host 127.0.0.1] [--port 0] [--https-port N]
//   --port        plain HTTP port of the proxy (0: any free port)
//   --https-port  also serve HTTPS (cosmosdb-server's bundled self-signed certificate) on this port (0: any)
// When ready it prints one JSON line: {"http":PORT,"https":PORT|null}.
'use strict';

const fs = require('fs');
const http = require('http');
const https = require('https');
const path = require('path');
const { createHttpServer } = require('@vercel/cosmosdb-server');

const MAX_DOCUMENT_BYTES = 2 * 1024 * 1024;
const FORBIDDEN_ID_CHARACTERS = /[\/\\?#]/;
const NOT_FOUND = { code: 'NotFound', message: 'Entity with the specified id does not exist in the system.' };
const DOCUMENT_PATH = /^\/dbs\/([^/]+)\/colls\/([^/]+)\/docs(?:\/([^/]+))?\/?$/;
const COLLECTION_PATH = /^\/dbs\/([^/]+)\/colls\/([^/]+)\/?$/;
const STATUS_CODES = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 412: 'PreconditionFailed', 413: 'RequestEntityTooLarge', 429: 'TooManyRequests', 500: 'InternalServerError' };

function parseArguments(argv) {
  const options = { host: '127.0.0.1', port: 0, httpsPort: null };
  for (let i = 0; i < argv.length; i += 1) {
    switch (argv[i]) {
      case '--host': options.host = argv[++i]; break;
      case '--port': options.port = Number(argv[++i]); break;
      case '--https-port': options.httpsPort = Number(argv[++i]); break;
      default: throw new Error(`Unknown argument ${argv[i]}`);
    }
  }
  return options;
}

// docs/emulators.md, "Missing document read answers 500": the server dereferences the missing document and its
// handler logs the TypeError before answering 500. That one known error is not worth a stack trace per test.
const logError = console.error.bind(console);
console.error = (...args) => {
  if (args.length === 1 && args[0] instanceof TypeError && /Cannot read properties of undefined/.test(args[0].message)) {
    return;
  }
  logError(...args);
};

function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    request.on('data', chunk => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function parseJson(buffer) {
  try {
    return buffer.length ? JSON.parse(buffer.toString('utf8')) : undefined;
  } catch {
    return undefined;
  }
}

function main() {
  const options = parseArguments(process.argv.slice(2));
  const backend = createHttpServer({ keepAlive: true });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let backendPort;
  // Collection metadata (partition key paths), cached per collection; dropped when the collection is deleted or replaced.
  const collections = new Map();

  function forward(request, body, pathOverride, methodOverride) {
    return new Promise((resolve, reject) => {
      const headers = { ...request.headers, host: `127.0.0.1:${backendPort}` };
      delete headers.connection;
      delete headers['keep-alive'];
      delete headers['transfer-encoding'];
      headers['content-length'] = body.length;
      const upstream = http.request({ host: '127.0.0.1', port: backendPort, method: methodOverride || request.method, path: pathOverride || request.url, headers, agent }, response => {
        readBody(response).then(payload => resolve({ status: response.statusCode, headers: response.headers, payload }), reject);
      });
      upstream.on('error', reject);
      upstream.end(body);
    });
  }

  async function collection(request, db, coll) {
    const key = `${db}/${coll}`;
    if (collections.has(key)) {
      return collections.get(key);
    }
    const response = await forward({ headers: { 'x-ms-version': request.headers['x-ms-version'] || '2018-12-31' }, url: '' }, Buffer.alloc(0), `/dbs/${db}/colls/${coll}`, 'GET');
    const metadata = response.status === 200 ? parseJson(response.payload) : null;
    if (metadata) {
      collections.set(key, metadata);
    }
    return metadata;
  }

  function valueAt(document, partitionKeyPath) {
    return partitionKeyPath.split('/').slice(1).reduce((value, part) => (value === undefined || value === null ? undefined : value[part]), document);
  }

  function reply(response, status, body, extraHeaders = {}) {
    const payload = Buffer.from(JSON.stringify(body));
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': payload.length, 'x-ms-request-charge': '1', 'x-ms-activity-id': '00000000-0000-0000-0000-000000000000', ...extraHeaders });
    response.end(payload);
  }

  // Checks Cosmos DB makes on a document write that cosmosdb-server skips; an error reply, or null to forward.
  function checkDocumentWrite(request, body, metadata) {
    if (body.length > MAX_DOCUMENT_BYTES) {
      // docs/emulators.md, "No document size limit".
      return [413, { code: 'RequestEntityTooLarge', message: 'Request size is too large.' }];
    }
    const document = parseJson(body);
    if (!document || typeof document.id !== 'string') {
      return null;
    }
    if (FORBIDDEN_ID_CHARACTERS.test(document.id) || document.id.length > 1023) {
      // docs/emulators.md, "Any id is accepted".
      return [400, { code: 'BadRequest', message: `The input name '${document.id}' is invalid. Ensure to provide a unique non-empty string less than '1024' characters. Input name cannot contain '/', '\\', '?' or '#'.` }];
    }
    const header = request.headers['x-ms-documentdb-partitionkey'];
    const paths = metadata && metadata.partitionKey && metadata.partitionKey.paths;
    if (header && header !== '[{}]' && paths && paths.length === 1) {
      const expected = parseJson(Buffer.from(header));
      const actual = valueAt(document, paths[0]);
      if (Array.isArray(expected) && JSON.stringify(expected[0]) !== JSON.stringify(actual)) {
        // docs/emulators.md, "Partition key header not checked on writes".
        return [400, { code: 'BadRequest', message: 'PartitionKey extracted from document doesn\'t match the one specified in the header.' }];
      }
    }
    return null;
  }

  async function handle(request, response) {
    const body = await readBody(request);
    const url = new URL(request.url, 'http://proxy');
    const documentMatch = DOCUMENT_PATH.exec(url.pathname);
    const collectionMatch = COLLECTION_PATH.exec(url.pathname);
    if (collectionMatch && (request.method === 'DELETE' || request.method === 'PUT')) {
      collections.delete(`${decodeURIComponent(collectionMatch[1])}/${decodeURIComponent(collectionMatch[2])}`);
    }

    if (documentMatch) {
      const metadata = await collection(request, decodeURIComponent(documentMatch[1]), decodeURIComponent(documentMatch[2]));
      if (!metadata) {
        // docs/emulators.md, "Missing container looks like a missing document".
        reply(response, 404, { code: 'NotFound', message: 'Owner resource does not exist' }, { 'x-ms-substatus': '1003' });
        return;
      }
      const isWrite = (request.method === 'POST' && !request.headers['x-ms-documentdb-isquery'] && request.headers['content-type'] !== 'application/query+json') || request.method === 'PUT';
      const refusal = isWrite ? checkDocumentWrite(request, body, metadata) : null;
      if (refusal) {
        reply(response, refusal[0], refusal[1]);
        return;
      }
    }

    const upstream = await forward(request, body);
    let { status, payload } = upstream;
    const headers = { ...upstream.headers };
    delete headers.connection;
    delete headers['keep-alive'];
    delete headers['transfer-encoding'];

    if (documentMatch && documentMatch[3] && request.method === 'GET' && status === 500
        && /Cannot read properties of undefined/.test((parseJson(payload) || {}).message || '')) {
      // docs/emulators.md, "Missing document read answers 500".
      status = 404;
      payload = Buffer.from(JSON.stringify(NOT_FOUND));
    } else if (status >= 400 && !(parseJson(payload) || {}).code) {
      // docs/emulators.md, "Error bodies without a code".
      const original = parseJson(payload) || {};
      payload = Buffer.from(JSON.stringify({ code: STATUS_CODES[status] || 'Error', message: original.message || (status === 404 ? NOT_FOUND.message : `Status ${status}`) }));
    }

    if (url.pathname === '/' && request.method === 'GET' && status === 200) {
      // docs/emulators.md, "The account advertises the wrong endpoint".
      const scheme = request.socket.encrypted ? 'https' : 'http';
      const account = parseJson(payload);
      const endpoint = `${scheme}://${request.headers.host}/`;
      for (const location of [...(account.writableLocations || []), ...(account.readableLocations || [])]) {
        location.databaseAccountEndpoint = endpoint;
      }
      payload = Buffer.from(JSON.stringify(account));
    }

    if (payload.length > 0 || status !== 204) {
      headers['content-length'] = payload.length;
    }
    headers['content-location'] = `${request.socket.encrypted ? 'https' : 'http'}://${request.headers.host}${request.url}`;
    response.writeHead(status, headers);
    response.end(payload);
  }

  function serve(request, response) {
    handle(request, response).catch(error => {
      logError(error);
      if (!response.headersSent) {
        reply(response, 500, { code: 'InternalServerError', message: String(error && error.message) });
      } else {
        response.destroy();
      }
    });
  }

  backend.listen(0, '127.0.0.1', () => {
    backendPort = backend.address().port;
    const front = http.createServer({ keepAliveTimeout: 30000 }, serve);
    front.listen(options.port, options.host, () => {
      const ports = { http: front.address().port, https: null };
      if (options.httpsPort === null) {
        process.stdout.write(`${JSON.stringify(ports)}\n`);
        return;
      }
      const packageRoot = path.dirname(require.resolve('@vercel/cosmosdb-server/package.json'));
      const secure = https.createServer({
        cert: fs.readFileSync(path.join(packageRoot, 'cert.pem')),
        key: fs.readFileSync(path.join(packageRoot, 'key.pem')),
        keepAliveTimeout: 30000,
      }, serve);
      secure.listen(options.httpsPort, options.host, () => {
        ports.https = secure.address().port;
        process.stdout.write(`${JSON.stringify(ports)}\n`);
      });
    });
  });

  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
}

main();
