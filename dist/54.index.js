export const id = 54;
export const ids = [54];
export const modules = {

/***/ 1054:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  loadSmokeSpec: () => (/* binding */ loadSmokeSpec),
  runSmokeChecks: () => (/* reexport */ runSmokeChecks)
});

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
var external_node_path_default = /*#__PURE__*/__webpack_require__.n(external_node_path_);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(3916);
// EXTERNAL MODULE: ./node_modules/yaml/dist/index.js
var dist = __webpack_require__(8815);
// EXTERNAL MODULE: ./src/duration.ts
var duration = __webpack_require__(7607);
;// CONCATENATED MODULE: ./src/smoke/jsonpath.ts
function parseJsonPath(path) {
    if (!path.startsWith('.'))
        throw new Error(`a path starts with "." (jq style), as in .version or .items[0].id`);
    const segments = [];
    let i = 0;
    while (i < path.length) {
        if (path[i] === '.' && path[i + 1] !== '[') {
            i++;
            if (i >= path.length) {
                // "." alone is the whole document; a trailing dot after a key is a typo.
                if (segments.length > 0)
                    throw new Error(`a path cannot end with "." (${path})`);
                break;
            }
            const match = /^[A-Za-z_$][\w$-]*/.exec(path.slice(i));
            if (!match)
                throw new Error(`unexpected "${path.slice(i)}" in ${path}`);
            segments.push(match[0]);
            i += match[0].length;
        }
        else if (path[i] === '[' || (path[i] === '.' && path[i + 1] === '[')) {
            if (path[i] === '.')
                i++;
            // A quoted key may itself contain "]": find the bracket that closes the quote.
            const quoted = /^\[\s*"(?:[^"\\]|\\.)*"\s*\]/.exec(path.slice(i));
            const close = quoted ? i + quoted[0].length - 1 : path.indexOf(']', i);
            if (close < 0)
                throw new Error(`unclosed [ in ${path}`);
            const inside = path.slice(i + 1, close).trim();
            if (/^-?\d+$/.test(inside))
                segments.push(Number(inside));
            else if (/^"(?:[^"\\]|\\.)*"$/.test(inside))
                segments.push(JSON.parse(inside));
            else
                throw new Error(`[${inside}] must be an index or a "quoted key" in ${path}`);
            i = close + 1;
        }
        else {
            throw new Error(`unexpected "${path.slice(i)}" in ${path}`);
        }
    }
    return segments;
}
/** The value at `path`, or `found: false` when some step does not exist. */
function resolveJsonPath(document, path) {
    let current = document;
    for (const segment of parseJsonPath(path)) {
        if (typeof segment === 'number') {
            if (!Array.isArray(current))
                return { found: false };
            const index = segment < 0 ? current.length + segment : segment;
            if (index < 0 || index >= current.length)
                return { found: false };
            current = current[index];
        }
        else {
            if (current === null ||
                typeof current !== 'object' ||
                Array.isArray(current) ||
                !Object.hasOwn(current, segment))
                return { found: false };
            current = current[segment];
        }
    }
    return { found: true, value: current };
}

;// CONCATENATED MODULE: ./src/smoke/spec.ts
/**
 * The smoke checks file (or inline YAML), parsed and validated strictly: an
 * error names the file, the check and the field, with the line. Pure.
 */




const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_INTERVAL_MS = 2_000;
const CHECK_FIELDS = new Set([
    'name',
    'method',
    'path',
    'url',
    'headers',
    'query',
    'body',
    'json',
    'retry',
    'timeout',
    'interval',
    'expect',
    'run'
]);
const EXPECT_FIELDS = new Set(['status', 'json', 'headers', 'body', 'maxDuration']);
const ASSERTION_FIELDS = new Set([
    'path',
    'equals',
    'exists',
    'matches',
    'contains',
    'gt',
    'gte',
    'lt',
    'lte',
    'length',
    'type',
    'oneOf'
]);
const JSON_TYPES = new Set(['string', 'number', 'boolean', 'object', 'array', 'null']);
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
class SpecReader {
    source;
    lines;
    constructor(source, lines) {
        this.source = source;
        this.lines = lines;
    }
    lineOf(node) {
        const offset = node?.range?.[0];
        return offset === undefined ? undefined : this.lines.linePos(offset).line;
    }
    fail(where, message, node) {
        const line = this.lineOf(node);
        throw new errors/* StageError */.Zu('InvalidSmokeSpec', `${this.source}${line ? `:${line}` : ''}: ${where}: ${message}`, {
            location: { file: this.source, line }
        });
    }
    /** The node of `key` in a map, for locating errors about it. */
    nodeOf(map, key) {
        const pair = map.items.find(p => p.key?.value === key);
        return (pair?.value ?? pair?.key);
    }
    mapOf(node, where) {
        if (!(0,dist/* isMap */.jh)(node))
            this.fail(where, 'must be a mapping', node);
        return node;
    }
    onlyFields(map, allowed, where) {
        for (const pair of map.items) {
            const key = String(pair.key.value);
            if (!allowed.has(key))
                this.fail(where, `unknown field "${key}" (expected one of: ${[...allowed].join(', ')})`, pair.key);
        }
    }
    duration(map, key, where, fallback) {
        const node = this.nodeOf(map, key);
        const value = map.get(key);
        if (value === undefined)
            return fallback;
        const ms = (0,duration/* parseDuration */.E)(String(value));
        if (ms === undefined || ms <= 0)
            this.fail(`${where} ${key}`, `"${String(value)}" is not a duration such as 500ms, 30s or 2m`, node);
        return ms;
    }
    stringMap(map, key, where) {
        const value = map.get(key, true);
        if (value === undefined)
            return {};
        const inner = this.mapOf(value, `${where} ${key}`);
        const result = {};
        for (const pair of inner.items) {
            const v = pair.value?.value;
            if (v === null || v === undefined || typeof v === 'object')
                this.fail(`${where} ${key}.${String(pair.key.value)}`, 'must be a string', pair.value);
            result[String(pair.key.value)] = String(v);
        }
        return result;
    }
    regex(pattern, where, node) {
        if (typeof pattern !== 'string')
            this.fail(where, 'must be a regular expression string', node);
        try {
            new RegExp(pattern);
        }
        catch (error) {
            this.fail(where, `invalid regular expression: ${error.message}`, node);
        }
        return pattern;
    }
}
function assertion(reader, node, where) {
    const map = reader.mapOf(node, where);
    reader.onlyFields(map, ASSERTION_FIELDS, where);
    const value = map.toJSON();
    if (typeof value.path !== 'string')
        reader.fail(`${where} path`, 'is required (a jq-style path such as .version)', map);
    try {
        parseJsonPath(value.path);
    }
    catch (error) {
        reader.fail(`${where} path`, error.message, reader.nodeOf(map, 'path'));
    }
    const checks = Object.keys(value).filter(k => k !== 'path');
    if (checks.length === 0)
        reader.fail(where, 'needs a matcher: equals, exists, matches, contains, gt, gte, lt, lte, length, type or oneOf', map);
    for (const key of ['gt', 'gte', 'lt', 'lte', 'length']) {
        if (key in value && typeof value[key] !== 'number')
            reader.fail(`${where} ${key}`, 'must be a number', reader.nodeOf(map, key));
    }
    if ('exists' in value && typeof value.exists !== 'boolean')
        reader.fail(`${where} exists`, 'must be true or false', reader.nodeOf(map, 'exists'));
    if ('type' in value && !JSON_TYPES.has(String(value.type)))
        reader.fail(`${where} type`, `must be one of ${[...JSON_TYPES].join(', ')}`, reader.nodeOf(map, 'type'));
    if ('oneOf' in value && !Array.isArray(value.oneOf))
        reader.fail(`${where} oneOf`, 'must be a list', reader.nodeOf(map, 'oneOf'));
    if ('matches' in value)
        reader.regex(value.matches, `${where} matches`, reader.nodeOf(map, 'matches'));
    return value;
}
/** Methods that may change state: run once unless the check says retry. */
const NOT_IDEMPOTENT = new Set(['POST', 'PATCH']);
function retryOf(reader, map, where) {
    const retry = map.get('retry');
    if (retry !== undefined && typeof retry !== 'boolean')
        reader.fail(`${where} retry`, 'must be true or false', reader.nodeOf(map, 'retry'));
    return retry;
}
function httpCheck(reader, map, name, where, timeoutMs, intervalMs, line) {
    const path = map.get('path');
    const url = map.get('url');
    if ((path === undefined) === (url === undefined))
        reader.fail(where, 'needs exactly one of path, url or run', map);
    const target = String(path ?? url);
    if (path !== undefined && !target.startsWith('/'))
        reader.fail(`${where} path`, `must start with "/" (got "${target}")`, reader.nodeOf(map, 'path'));
    if (url !== undefined && !/^https?:\/\//.test(target))
        reader.fail(`${where} url`, `must be an absolute http(s) URL (got "${target}")`, reader.nodeOf(map, 'url'));
    const method = String(map.get('method') ?? 'GET').toUpperCase();
    if (!METHODS.has(method))
        reader.fail(`${where} method`, `must be one of ${[...METHODS].join(', ')}`, reader.nodeOf(map, 'method'));
    if (map.has('body') && map.has('json'))
        reader.fail(where, 'has both body and json; use one', map);
    const body = map.get('body');
    if (body !== undefined && typeof body !== 'string')
        reader.fail(`${where} body`, 'must be a string (use json: for structured bodies)', reader.nodeOf(map, 'body'));
    const expectNode = map.get('expect', true);
    const expectMap = expectNode === undefined ? undefined : reader.mapOf(expectNode, `${where} expect`);
    if (expectMap)
        reader.onlyFields(expectMap, EXPECT_FIELDS, `${where} expect`);
    const status = expectMap?.get('status');
    const statuses = status === undefined
        ? []
        : Array.isArray(status.toJSON?.())
            ? status.toJSON()
            : [status];
    for (const s of statuses) {
        if (typeof s !== 'number' || s < 100 || s > 599)
            reader.fail(`${where} expect.status`, `must be an HTTP status or a list of them (got ${JSON.stringify(s)})`, expectMap && reader.nodeOf(expectMap, 'status'));
    }
    const jsonNode = expectMap?.get('json', true);
    if (jsonNode !== undefined && !(0,dist/* isSeq */.oP)(jsonNode))
        reader.fail(`${where} expect.json`, 'must be a list of assertions', jsonNode);
    const json = (0,dist/* isSeq */.oP)(jsonNode)
        ? jsonNode.items.map((item, i) => assertion(reader, item, `${where} expect.json[${i}]`))
        : [];
    const headers = expectMap ? reader.stringMap(expectMap, 'headers', `${where} expect`) : {};
    for (const [header, pattern] of Object.entries(headers))
        reader.regex(pattern, `${where} expect.headers.${header}`);
    const bodyNode = expectMap?.get('body', true);
    let bodyExpectation;
    if (bodyNode !== undefined) {
        const bodyMap = reader.mapOf(bodyNode, `${where} expect.body`);
        reader.onlyFields(bodyMap, new Set(['contains', 'matches']), `${where} expect.body`);
        bodyExpectation = bodyMap.toJSON();
        if (bodyExpectation.matches !== undefined)
            reader.regex(bodyExpectation.matches, `${where} expect.body.matches`, reader.nodeOf(bodyMap, 'matches'));
    }
    return {
        type: 'http',
        name,
        line,
        method,
        target,
        headers: reader.stringMap(map, 'headers', where),
        query: reader.stringMap(map, 'query', where),
        body: body,
        json: map.has('json')
            ? (map.get('json', true)?.toJSON?.() ?? map.get('json'))
            : undefined,
        retry: retryOf(reader, map, where) ?? !NOT_IDEMPOTENT.has(method),
        timeoutMs,
        intervalMs,
        expect: {
            status: statuses,
            json,
            headers,
            body: bodyExpectation,
            maxDurationMs: expectMap?.has('maxDuration')
                ? reader.duration(expectMap, 'maxDuration', `${where} expect`, 0)
                : undefined
        }
    };
}
function parseSmokeSpec(text, source) {
    const lines = new dist/* LineCounter */.HN();
    const document = (0,dist/* parseDocument */.Tp)(text, { lineCounter: lines, prettyErrors: false });
    const reader = new SpecReader(source, lines);
    if (document.errors.length > 0) {
        const error = document.errors[0];
        const line = lines.linePos(error.pos[0]).line;
        throw new errors/* StageError */.Zu('InvalidSmokeSpec', `${source}:${line}: ${error.message.split('\n')[0]}`, {
            location: { file: source, line }
        });
    }
    const root = reader.mapOf(document.contents, 'the smoke checks');
    reader.onlyFields(root, new Set(['defaults', 'checks']), 'the smoke checks');
    const defaultsNode = root.get('defaults', true);
    const defaults = defaultsNode === undefined ? undefined : reader.mapOf(defaultsNode, 'defaults');
    if (defaults)
        reader.onlyFields(defaults, new Set(['timeout', 'interval']), 'defaults');
    const timeoutMs = defaults
        ? reader.duration(defaults, 'timeout', 'defaults', DEFAULT_TIMEOUT_MS)
        : DEFAULT_TIMEOUT_MS;
    const intervalMs = defaults
        ? reader.duration(defaults, 'interval', 'defaults', DEFAULT_INTERVAL_MS)
        : DEFAULT_INTERVAL_MS;
    const checksNode = root.get('checks', true);
    if (!(0,dist/* isSeq */.oP)(checksNode) || checksNode.items.length === 0) {
        reader.fail('checks', 'must be a non-empty list', (checksNode ?? root));
    }
    const names = new Set();
    const checks = checksNode.items.map((item, index) => {
        const map = reader.mapOf(item, `check ${index + 1}`);
        const given = map.get('name');
        const name = given === undefined ? `check ${index + 1}` : String(given);
        const where = `check "${name}"`;
        reader.onlyFields(map, CHECK_FIELDS, where);
        if (names.has(name))
            reader.fail(where, 'another check has the same name', map);
        names.add(name);
        const line = reader.lineOf(map);
        const checkTimeout = reader.duration(map, 'timeout', where, timeoutMs);
        const checkInterval = reader.duration(map, 'interval', where, intervalMs);
        if (map.has('run')) {
            const run = map.get('run');
            if (typeof run !== 'string' || !run.trim())
                reader.fail(`${where} run`, 'must be a shell command', reader.nodeOf(map, 'run'));
            for (const field of ['path', 'url', 'method', 'headers', 'query', 'body', 'json', 'expect']) {
                if (map.has(field))
                    reader.fail(`${where} ${field}`, 'does not apply to a run: check', reader.nodeOf(map, field));
            }
            return {
                type: 'script',
                name,
                run: run,
                // A script may change things: it runs once unless the check says retry.
                retry: retryOf(reader, map, where) ?? false,
                timeoutMs: checkTimeout,
                intervalMs: checkInterval,
                line
            };
        }
        return httpCheck(reader, map, name, where, checkTimeout, checkInterval, line);
    });
    return { source, checks };
}
/** With only a base URL: GET /healthz must answer 2xx. */
function defaultSmokeSpec(timeoutMs = DEFAULT_TIMEOUT_MS, intervalMs = DEFAULT_INTERVAL_MS) {
    return {
        source: 'smoke-url',
        checks: [
            {
                type: 'http',
                name: 'health',
                method: 'GET',
                target: '/healthz',
                headers: {},
                query: {},
                retry: true,
                timeoutMs,
                intervalMs,
                expect: { status: [], json: [], headers: {} }
            }
        ]
    };
}

// EXTERNAL MODULE: external "node:timers/promises"
var promises_ = __webpack_require__(8500);
;// CONCATENATED MODULE: ./src/redact.ts
/** Removes secret values from any text that may reach a log, an output or the summary. Pure. */
const REDACTED = '***';
/** Header values that are credentials whatever their content. */
const SENSITIVE_HEADERS = new Set([
    'authorization',
    'proxy-authorization',
    'cookie',
    'set-cookie',
    'x-api-key'
]);
/** A secret as it appears raw, and inside a JSON string (quotes, backslashes and newlines escaped). */
function secretForms(secret) {
    const escaped = JSON.stringify(secret).slice(1, -1);
    return escaped === secret ? [secret] : [secret, escaped];
}
function redact(text, secrets) {
    let result = text;
    const forms = secrets.filter(s => s.length >= 3).flatMap(secretForms);
    // Longest first, so a secret that contains another is removed whole.
    for (const secret of forms.sort((a, b) => b.length - a.length)) {
        result = result.split(secret).join(REDACTED);
    }
    return result;
}
/**
 * Redacts, then cuts to at most `limit` characters. In this order, a secret
 * that straddles the cut cannot leave its visible half behind.
 */
function redactAndCut(text, secrets, limit, keep = 'start') {
    const clean = redact(text, secrets);
    if (clean.length <= limit)
        return clean;
    return keep === 'start' ? `${clean.slice(0, limit)}…` : `…${clean.slice(-limit)}`;
}

// EXTERNAL MODULE: ./src/concurrency.ts
var concurrency = __webpack_require__(1532);
// EXTERNAL MODULE: ./src/canonical.ts
var canonical = __webpack_require__(7221);
;// CONCATENATED MODULE: ./src/smoke/expect.ts
/** Does a response meet a check's expectations? Each unmet one becomes a line. Pure. */



function show(value) {
    const text = JSON.stringify(value);
    return text === undefined ? 'undefined' : text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
function typeOf(value) {
    if (value === null)
        return 'null';
    return Array.isArray(value) ? 'array' : typeof value;
}
/** Key order does not matter in JSON objects. */
function deepEqual(a, b) {
    return (0,canonical/* canonicalJson */.d)(a) === (0,canonical/* canonicalJson */.d)(b);
}
function checkJsonAssertion(document, assertion) {
    const { found, value } = resolveJsonPath(document, assertion.path);
    const at = assertion.path;
    if (assertion.exists !== undefined) {
        if (assertion.exists !== found)
            return `${at}: expected ${assertion.exists ? 'to exist' : 'to be absent'}`;
    }
    else if (!found) {
        return `${at}: not found in the response`;
    }
    if (!found)
        return undefined;
    if ('equals' in assertion && !deepEqual(value, assertion.equals))
        return `${at}: expected ${show(assertion.equals)}, got ${show(value)}`;
    if (assertion.type !== undefined && typeOf(value) !== assertion.type)
        return `${at}: expected type ${assertion.type}, got ${typeOf(value)}`;
    if (assertion.matches !== undefined &&
        !(typeof value === 'string' && new RegExp(assertion.matches).test(value))) {
        return `${at}: expected to match /${assertion.matches}/, got ${show(value)}`;
    }
    if ('contains' in assertion) {
        const ok = Array.isArray(value)
            ? value.some(item => deepEqual(item, assertion.contains))
            : typeof value === 'string' &&
                typeof assertion.contains === 'string' &&
                value.includes(assertion.contains);
        if (!ok)
            return `${at}: expected to contain ${show(assertion.contains)}, got ${show(value)}`;
    }
    for (const [op, bound] of [
        ['gt', assertion.gt],
        ['gte', assertion.gte],
        ['lt', assertion.lt],
        ['lte', assertion.lte]
    ]) {
        if (bound === undefined)
            continue;
        const ok = typeof value === 'number' &&
            (op === 'gt'
                ? value > bound
                : op === 'gte'
                    ? value >= bound
                    : op === 'lt'
                        ? value < bound
                        : value <= bound);
        if (!ok)
            return `${at}: expected ${op} ${bound}, got ${show(value)}`;
    }
    if (assertion.length !== undefined) {
        const length = Array.isArray(value) || typeof value === 'string'
            ? value.length
            : value && typeof value === 'object'
                ? Object.keys(value).length
                : undefined;
        if (length !== assertion.length)
            return `${at}: expected length ${assertion.length}, got ${length === undefined ? show(value) : length}`;
    }
    if (assertion.oneOf !== undefined && !assertion.oneOf.some(option => deepEqual(option, value))) {
        return `${at}: expected one of ${show(assertion.oneOf)}, got ${show(value)}`;
    }
    return undefined;
}
function checkJsonBody(expectation, body) {
    let document;
    try {
        document = JSON.parse(body);
    }
    catch (error) {
        return [`body: expected JSON, got something else (${error.message})`];
    }
    return expectation.json
        .map(assertion => checkJsonAssertion(document, assertion))
        .filter((p) => p !== undefined);
}
/** Every unmet expectation, as "what: expected ..., got ..." lines; empty when the response passes. */
function checkResponse(expectation, response) {
    const problems = [];
    const statusOk = expectation.status.length
        ? expectation.status.includes(response.status)
        : response.status >= 200 && response.status < 300;
    if (!statusOk)
        problems.push(`status: expected ${expectation.status.length ? expectation.status.join(' or ') : '2xx'}, got ${response.status}`);
    for (const [name, pattern] of Object.entries(expectation.headers)) {
        const value = response.headers[name.toLowerCase()];
        if (value === undefined || !new RegExp(pattern).test(value))
            problems.push(`header ${name}: expected to match /${pattern}/, got ${value === undefined ? 'none' : SENSITIVE_HEADERS.has(name.toLowerCase()) ? REDACTED : show(value)}`);
    }
    if (expectation.body?.contains !== undefined && !response.body.includes(expectation.body.contains)) {
        problems.push(`body: expected to contain ${show(expectation.body.contains)}`);
    }
    if (expectation.body?.matches !== undefined && !new RegExp(expectation.body.matches).test(response.body)) {
        problems.push(`body: expected to match /${expectation.body.matches}/`);
    }
    if (expectation.json.length)
        problems.push(...checkJsonBody(expectation, response.body));
    if (expectation.maxDurationMs !== undefined && response.durationMs > expectation.maxDurationMs) {
        problems.push(`duration: expected at most ${expectation.maxDurationMs}ms, took ${Math.round(response.durationMs)}ms`);
    }
    return problems;
}

;// CONCATENATED MODULE: ./src/smoke/interpolate.ts
/** `${NAME}` from the environment, in any string of a check. Pure. */
function interpolate(text, env, where) {
    return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name) => {
        const value = env[name];
        if (value === undefined)
            throw new Error(`${where} uses \${${name}}, which is not set in the environment`);
        return value;
    });
}

// EXTERNAL MODULE: ./node_modules/undici/index.js
var undici = __webpack_require__(4371);
;// CONCATENATED MODULE: ./src/smoke/http.ts
/**
 * One HTTP request with undici: TLS verified unless told otherwise, a private
 * CA when given, redirects followed (at most 5), a deadline.
 */


function createDispatcher(tls) {
    const connect = {};
    if (tls.caFile)
        connect.ca = (0,external_node_fs_.readFileSync)(tls.caFile, 'utf8');
    if (tls.insecure)
        connect.rejectUnauthorized = false;
    return new undici/* Agent */.g6({ connect }).compose(undici/* interceptors */.dY.redirect({ maxRedirections: 5 }));
}
const BODY_LIMIT = 1024 * 1024;
async function send(dispatcher, url, init, timeoutMs) {
    const started = performance.now();
    const response = await (0,undici/* request */.Em)(url, {
        method: init.method,
        headers: init.headers,
        body: init.body,
        dispatcher,
        signal: AbortSignal.timeout(Math.max(1, timeoutMs))
    });
    // Read at most 1 MiB: enough for any assertion, bounded against a runaway endpoint.
    // Decoded once at the end, so a character split across chunks stays whole.
    const chunks = [];
    let size = 0;
    for await (const chunk of response.body) {
        if (size < BODY_LIMIT)
            chunks.push(chunk);
        size += chunk.length;
    }
    const body = Buffer.concat(chunks).subarray(0, BODY_LIMIT).toString('utf8');
    const headers = {};
    for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined)
            headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
    return { status: response.statusCode, headers, body, durationMs: performance.now() - started };
}

;// CONCATENATED MODULE: ./src/smoke/reach.ts
/**
 * Whether a request reached the service. A request that never reached it
 * (refused, unresolvable, unroutable, connect timeout) changed nothing, so it
 * is safe to repeat whatever its method: right after a rollout, kube-proxy or an
 * ingress may not yet route to the new pods although every pod is Ready.
 */
/** Error codes of failures before any byte of the request was sent. */
const BEFORE_SENDING = new Set([
    'ECONNREFUSED',
    'ENOTFOUND',
    'EAI_AGAIN',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'EADDRNOTAVAIL',
    'UND_ERR_CONNECT_TIMEOUT'
]);
/** The code of a failed request: undici puts the socket's error in `cause`. Pure. */
function failureCode(error) {
    const { code, cause } = (error ?? {});
    if (typeof cause?.code === 'string')
        return cause.code;
    return typeof code === 'string' ? code : undefined;
}
/** True when the request certainly never reached the server. Pure. */
function neverReachedServer(error) {
    const code = failureCode(error);
    return code !== undefined && BEFORE_SENDING.has(code);
}
/**
 * When each origin first answered at all (any HTTP status), shared by the
 * checks of one run: checks that must not run twice wait for it, so they are
 * not sent to a service that is still coming up.
 */
class FirstAnswers {
    started = Date.now();
    answeredAt = new Map();
    waiters = new Map();
    answered(origin) {
        if (this.answeredAt.has(origin))
            return;
        this.answeredAt.set(origin, Date.now() - this.started);
        for (const wake of this.waiters.get(origin) ?? [])
            wake();
        this.waiters.delete(origin);
    }
    /** Milliseconds from the start of the smoke checks to the origin's first answer. */
    afterMs(origin) {
        return this.answeredAt.get(origin);
    }
    /** Resolves once the origin has answered, or when the deadline passes. */
    async wait(origin, deadline) {
        if (this.answeredAt.has(origin))
            return;
        await new Promise(resolve => {
            const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
            const wake = () => {
                clearTimeout(timer);
                resolve();
            };
            this.waiters.set(origin, [...(this.waiters.get(origin) ?? []), wake]);
        });
    }
}

// EXTERNAL MODULE: ./node_modules/@actions/exec/lib/exec.js + 5 modules
var exec = __webpack_require__(2876);
;// CONCATENATED MODULE: ./src/smoke/script.ts
/** `run:` checks: a shell command through @actions/exec; it passes when it exits 0. */

/** What coreutils' timeout exits with when it had to stop the command (SIGTERM, then SIGKILL). */
const TIMEOUT_EXIT_CODES = new Set([124, 137]);
/**
 * coreutils' `timeout` ends the whole command at its deadline (and kills it 5 s
 * later if it ignores SIGTERM), so a hung script cannot outlive the check.
 */
async function runScript(command, env, cwd, timeoutMs) {
    const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    const started = Date.now();
    const result = await (0,exec/* getExecOutput */.H)('timeout', ['--kill-after=5', String(seconds), 'bash', '-c', command], {
        env,
        cwd,
        ignoreReturnCode: true,
        silent: true
    });
    return {
        exitCode: result.exitCode,
        output: `${result.stdout}${result.stderr}`,
        // A script may exit 124 or be OOM-killed by itself: only at the deadline was it stopped.
        timedOut: TIMEOUT_EXIT_CODES.has(result.exitCode) && Date.now() - started >= seconds * 1000
    };
}

;// CONCATENATED MODULE: ./src/smoke/run.ts
/**
 * Runs the checks: independent checks concurrently, each retried until it
 * passes or its deadline passes (a service needs a moment after rollout), except
 * requests that are not idempotent, which run once unless the check says retry.
 * Those wait until the service has answered another check, and are repeated
 * only when the request never reached it (see reach.ts).
 */









const EXCERPT_LIMIT = 2048;
const SCRIPT_OUTPUT_LIMIT = 4096;
function targetUrl(check, options) {
    const target = interpolate(check.target, options.env, `check "${check.name}" url`);
    let url;
    if (/^https?:\/\//.test(target))
        url = new URL(target);
    else {
        if (!options.baseUrl)
            throw new Error(`check "${check.name}" has a path but smoke-url is not set`);
        url = new URL(options.baseUrl.replace(/\/$/, '') + target);
    }
    for (const [name, value] of Object.entries(check.query))
        url.searchParams.set(name, interpolate(value, options.env, `check "${check.name}" query ${name}`));
    return url.toString();
}
function prepareRequest(check, options) {
    const url = targetUrl(check, options);
    const headers = Object.fromEntries(Object.entries(check.headers).map(([k, v]) => [
        k,
        interpolate(v, options.env, `check "${check.name}" header ${k}`)
    ]));
    // Credential headers are never shown; other long header values are treated as secrets too,
    // since tokens travel under many names.
    const sent = Object.entries(headers)
        .filter(([name, value]) => SENSITIVE_HEADERS.has(name.toLowerCase()) || value.length >= 8)
        .map(([, value]) => value);
    let body = check.body === undefined ? undefined : interpolate(check.body, options.env, `check "${check.name}" body`);
    if (check.json !== undefined) {
        body = interpolate(JSON.stringify(check.json), options.env, `check "${check.name}" json`);
        headers['content-type'] ??= 'application/json';
    }
    return { url, headers, body, secrets: [...options.secrets, ...sent] };
}
function result(check, started, attempts, passed, outcome) {
    return {
        name: check.name,
        type: check.type,
        passed,
        attempts,
        durationMs: Date.now() - started,
        line: check.line,
        ...outcome
    };
}
async function runHttp(check, options, context) {
    const started = Date.now();
    const deadline = started + check.timeoutMs;
    let request;
    try {
        request = prepareRequest(check, options);
    }
    catch (error) {
        // One check that cannot be built fails alone; the others still run.
        return result(check, started, 0, false, { reason: redact(error.message, options.secrets) });
    }
    const { url, headers, body, secrets } = request;
    const origin = new URL(url).origin;
    if (!check.retry && context.probedOrigins.has(origin))
        await context.answers.wait(origin, deadline);
    let attempts = 0;
    let last = {};
    let lastReason = '';
    for (;;) {
        attempts++;
        let reached = true;
        try {
            const response = await send(context.dispatcher, url, { method: check.method, headers, body }, deadline - Date.now());
            context.answers.answered(origin);
            const problems = checkResponse(check.expect, response);
            if (problems.length === 0)
                return result(check, started, attempts, true, { lastStatus: response.status });
            last = {
                lastStatus: response.status,
                bodyExcerpt: redactAndCut(response.body, secrets, EXCERPT_LIMIT),
                reason: redact(problems.join('; '), secrets)
            };
        }
        catch (error) {
            reached = !neverReachedServer(error);
            const cause = error.cause;
            last = {
                reason: redact(`request failed: ${cause?.message ?? error.message}${cause?.code ? ` (${cause.code})` : ''}`, secrets)
            };
        }
        if (last.reason !== lastReason) {
            options.log(`smoke ${check.name}: attempt ${attempts}: ${last.reason}`);
            lastReason = last.reason ?? '';
        }
        if ((!check.retry && reached) || Date.now() + check.intervalMs >= deadline)
            break;
        await (0,promises_.setTimeout)(check.intervalMs);
    }
    return result(check, started, attempts, false, last);
}
/**
 * What `${NAME}` and scripts may read: the job's environment without the
 * action's own inputs (INPUT_KUBECONFIG, INPUT_GITHUB-TOKEN), plus SMOKE_URL.
 */
function checkEnvironment(options) {
    const env = {};
    for (const [k, v] of Object.entries(options.env))
        if (v !== undefined && !k.startsWith('INPUT_'))
            env[k] = v;
    if (options.baseUrl)
        env.SMOKE_URL = options.baseUrl;
    return env;
}
async function runScriptCheck(check, options) {
    const started = Date.now();
    const deadline = started + check.timeoutMs;
    const env = options.env;
    let attempts = 0;
    for (;;) {
        attempts++;
        let outcome;
        try {
            const command = interpolate(check.run, env, `check "${check.name}" run`);
            outcome = await runScript(command, env, options.workspace, deadline - Date.now());
        }
        catch (error) {
            // A check that cannot run fails alone; the others still run.
            return result(check, started, attempts, false, {
                reason: redact(error.message, options.secrets)
            });
        }
        const passed = outcome.exitCode === 0;
        const last = {
            output: redactAndCut(outcome.output, options.secrets, SCRIPT_OUTPUT_LIMIT, 'end'),
            reason: passed
                ? undefined
                : outcome.timedOut
                    ? `did not finish within ${(0,duration/* formatDuration */.a)(check.timeoutMs)} (stopped)`
                    : `exited with code ${outcome.exitCode}`
        };
        if (passed || !check.retry || Date.now() + check.intervalMs >= deadline)
            return result(check, started, attempts, passed, last);
        options.log(`smoke ${check.name}: attempt ${attempts}: ${last.reason}`);
        await (0,promises_.setTimeout)(check.intervalMs);
    }
}
/** Origins of the checks that are retried: one of them will see the service's first answer. */
function retriedOrigins(spec, options) {
    const origins = new Set();
    for (const check of spec.checks) {
        if (check.type !== 'http' || !check.retry)
            continue;
        try {
            origins.add(new URL(targetUrl(check, options)).origin);
        }
        catch {
            // reported by the check itself
        }
    }
    return origins;
}
async function runSmokeChecks(spec, options) {
    const checked = { ...options, env: checkEnvironment(options) };
    const context = {
        dispatcher: createDispatcher(options.tls),
        answers: new FirstAnswers(),
        probedOrigins: retriedOrigins(spec, checked)
    };
    try {
        const results = await (0,concurrency/* mapConcurrent */._)(spec.checks, options.concurrency ?? 8, (check) => check.type === 'script' ? runScriptCheck(check, checked) : runHttp(check, checked, context));
        for (const origin of new Set([...context.probedOrigins])) {
            const after = context.answers.afterMs(origin);
            options.log(after === undefined
                ? `smoke: ${origin} never answered`
                : `smoke: ${origin} first answered after ${(0,duration/* formatDuration */.a)(after)}`);
        }
        return results;
    }
    finally {
        await context.dispatcher.close();
    }
}

;// CONCATENATED MODULE: ./src/smoke/index.ts
/** The smoke stage's public face: where the checks come from, and running them. */





/**
 * `smoke-tests` is a path to a YAML file in the workspace, or the YAML itself
 * (anything with a newline or a "checks:" key). With only `smoke-url`, GET /healthz.
 */
function loadSmokeSpec(input) {
    const tests = input.smokeTests?.trim();
    if (!tests)
        return input.smokeUrl ? defaultSmokeSpec() : undefined;
    if (tests.includes('\n') || /^\s*(checks|defaults)\s*:/.test(tests))
        return parseSmokeSpec(tests, 'smoke-tests');
    const file = external_node_path_default().resolve(input.workspace, tests);
    if (!(0,external_node_fs_.existsSync)(file))
        throw new errors/* StageError */.Zu('InvalidInput', `Input smoke-tests names ${tests}, which does not exist in the workspace.`);
    const real = (0,external_node_fs_.realpathSync)(file);
    const workspace = (0,external_node_fs_.realpathSync)(input.workspace);
    if (!real.startsWith(workspace + (external_node_path_default()).sep))
        throw new errors/* StageError */.Zu('InvalidInput', `Input smoke-tests names ${tests}, which is outside the workspace.`);
    return parseSmokeSpec((0,external_node_fs_.readFileSync)(real, 'utf8'), external_node_path_default().relative(workspace, real));
}


/***/ })

};
