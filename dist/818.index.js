export const id = 818;
export const ids = [818];
export const modules = {

/***/ 5818:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  loadSmokeSpec: () => (/* binding */ loadSmokeSpec),
  prepareSmokeSpec: () => (/* reexport */ prepareSmokeSpec),
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
// EXTERNAL MODULE: external "node:url"
var external_node_url_ = __webpack_require__(3136);
// EXTERNAL MODULE: external "node:worker_threads"
var external_node_worker_threads_ = __webpack_require__(5919);
;// CONCATENATED MODULE: ./src/smoke/jq-thread.ts
/**
 * The jq worker thread as the main thread sees it: one worker (jq-worker.ts), started when a
 * checks file has a jq assertion, reused by every expression, stopped at the end of the checks.
 *
 * jq runs there, not here, because an expression can run for as long as the response makes it
 * (`any(range(.n); . < 0)` with a large `n`): on the main thread that would stop every timer,
 * the stage's deadlines and the Lease renewal with them. Expressions run one at a time, each
 * within its own time limit, counted from when it reaches a worker that has loaded jq (start-up
 * is not charged to it). One that runs past its limit has its worker terminated, the only way
 * to stop jq mid-expression; the next expression gets a new worker.
 *
 * An idle worker never keeps the process alive (unref): only one with work to do.
 */



/** Longest a worker may take to start and load jq before the expressions waiting for it fail. */
const JQ_START_LIMIT_MS = 30_000;
class JqThread {
    worker;
    ready = false;
    /** Why no worker can run jq; kept, so later expressions fail at once with the same reason. */
    unavailable;
    startTimer;
    running;
    queue = [];
    lastId = 0;
    /** Workers started so far (each timeout costs one more): tests read it. */
    starts = 0;
    file;
    constructor(file) {
        this.file = file;
    }
    /** Whether a worker is there now (started, not yet stopped or lost). */
    get alive() {
        return this.worker !== undefined;
    }
    /** Starts the worker (it loads jq meanwhile) unless it runs already. */
    start() {
        if (this.worker || this.unavailable !== undefined)
            return;
        let worker;
        try {
            // No environment: jq's $ENV must not see the job's (secrets included).
            worker = new external_node_worker_threads_.Worker(this.file, { env: {} });
        }
        catch (error) {
            this.unavailable = this.cannotStart(error.message);
            return;
        }
        this.starts++;
        this.worker = worker;
        this.ready = false;
        worker.unref();
        worker.on('message', (reply) => this.received(worker, reply));
        worker.on('error', error => this.lost(worker, error.message));
        worker.on('exit', code => this.lost(worker, `it exited with code ${code}`));
        // Unref'd: a stage that ends before its checks run must not wait for it.
        this.startTimer = setTimeout(() => this.lost(worker, `jq was not loaded after ${(0,duration/* formatDuration */.a)(JQ_START_LIMIT_MS)}`), JQ_START_LIMIT_MS).unref();
    }
    /** Runs jq on `input`: its output, or why there is none. Never rejects. */
    run(request, limit) {
        return new Promise(resolve => {
            this.queue.push({ ...request, limit, resolve });
            this.pump();
        });
    }
    /** Terminates the worker; expressions still waiting fail. A later run starts a new one. */
    async stop() {
        const running = this.running;
        const worker = this.drop();
        this.unavailable = undefined;
        const stopped = { kind: 'failed', message: 'jq was stopped' };
        running?.job.resolve(stopped);
        this.failAll(stopped);
        if (worker)
            await worker.terminate();
    }
    cannotStart(message) {
        return `the jq worker could not be started from ${(0,external_node_url_.fileURLToPath)(this.file)} (${message})`;
    }
    /** Sends the next expression once a worker has loaded jq. */
    pump() {
        if (this.running)
            return;
        if (this.queue.length && !this.worker)
            this.start();
        if (this.unavailable !== undefined) {
            this.failAll({ kind: 'unavailable', message: this.unavailable });
            return;
        }
        this.holdOpen();
        if (!this.worker || !this.ready || !this.queue.length)
            return;
        const job = this.queue.shift();
        const id = ++this.lastId;
        const limitMs = typeof job.limit === 'number' ? job.limit : job.limit();
        const timer = setTimeout(() => this.timedOut(), limitMs);
        this.running = { job, id, limitMs, timer };
        const request = { id, input: job.input, filter: job.filter, flags: job.flags };
        this.worker.postMessage(request);
    }
    received(worker, reply) {
        if (worker !== this.worker)
            return;
        if ('ready' in reply) {
            this.ready = true;
            clearTimeout(this.startTimer);
        }
        else if ('loadError' in reply) {
            this.unavailable = `jq could not be loaded (${reply.loadError})`;
            void this.drop()?.terminate();
        }
        else if (this.running?.id === reply.id) {
            const { job, timer } = this.running;
            clearTimeout(timer);
            this.running = undefined;
            job.resolve('error' in reply
                ? { kind: 'failed', message: reply.error }
                : { kind: 'done', stdout: reply.stdout, stderr: reply.stderr, exitCode: reply.exitCode });
        }
        this.pump();
    }
    /** The worker failed or ended on its own: before jq loaded, no worker can run it. */
    lost(worker, message) {
        if (worker !== this.worker)
            return;
        const running = this.running;
        const loaded = this.ready;
        void this.drop()?.terminate();
        if (!loaded)
            this.unavailable = this.cannotStart(message);
        else
            running?.job.resolve({ kind: 'failed', message: `the jq worker stopped (${message})` });
        this.pump();
    }
    timedOut() {
        const { job, limitMs } = this.running;
        void this.drop()?.terminate();
        job.resolve({ kind: 'timeout', limitMs });
        // The expressions still waiting get a new worker.
        this.pump();
    }
    /** Forgets the current worker (and its expression) and returns it, for terminating. */
    drop() {
        const worker = this.worker;
        clearTimeout(this.startTimer);
        if (this.running)
            clearTimeout(this.running.timer);
        this.running = undefined;
        this.worker = undefined;
        this.ready = false;
        return worker;
    }
    failAll(outcome) {
        for (const job of this.queue.splice(0))
            job.resolve(outcome);
    }
    /** Keeps the process alive while there is work, not while the worker idles. */
    holdOpen() {
        if (this.running || this.queue.length)
            this.worker?.ref();
        else
            this.worker?.unref();
    }
}

;// CONCATENATED MODULE: ./src/smoke/jq.ts
/**
 * `jq:` assertions, run by real jq: jq 1.8 compiled to WebAssembly (the jq-wasm
 * package, its `inline` build, whose wasm is embedded in the module so a bundle
 * needs no separate asset). jq runs in a worker thread (jq-thread.ts), started only
 * when a checks file has a jq assertion, and each expression within a time limit:
 * one that would run for an hour fails its check instead of stalling the stage.
 *
 * An assertion passes when jq, given the response body, outputs at least one value
 * and every value it outputs is truthy (neither false nor null). `jq -e` looks at
 * the last output only; a check that passes here passes `jq -e` too.
 */


/** The longest one jq expression may run. */
const JQ_TIME_LIMIT_MS = 10_000;
/** The shortest: a response that arrives just before its check's deadline is still judged. */
const JQ_MIN_TIME_LIMIT_MS = 250;
/**
 * How long an expression may run: JQ_TIME_LIMIT_MS, and no longer than what is left
 * before `deadline` (the check's), but never less than JQ_MIN_TIME_LIMIT_MS.
 */
function jqTimeLimitMs(deadline, now) {
    if (deadline === undefined)
        return JQ_TIME_LIMIT_MS;
    return Math.min(JQ_TIME_LIMIT_MS, Math.max(JQ_MIN_TIME_LIMIT_MS, deadline - now));
}
/**
 * Where the worker's code is. From src/ (tests) this module is jq.ts, beside jq-worker.ts,
 * which Node runs as it is; in the bundle it is in dist/, and the worker is a bundle of its
 * own in dist/jq-worker/ (script/bundle.sh). Not `new URL('./x', import.meta.url)`: ncc
 * would copy that file into dist/ unbundled, without jq.
 */
function workerFile() {
    const here = import.meta.url;
    // Stryker disable next-line StringLiteral: the unit tests run from src/; the bundle's path is for the bundle tests (http/smoke-jq-bundle.test.ts)
    return new URL(here.endsWith('.ts') ? 'jq-worker.ts' : 'jq-worker/index.js', here);
}
let shared;
/** The stage's jq worker, created (not started) on first use. */
function sharedJq() {
    shared ??= new JqThread(workerFile());
    return shared;
}
/** Starts the worker without waiting for it: checks run long after their file is read. */
function preloadJq() {
    sharedJq().start();
}
/** Terminates the worker, so that it holds nothing once the checks are done. */
async function stopJq() {
    await shared?.stop();
}
function label(expression) {
    const oneLine = expression.replace(/\s+/g, ' ').trim();
    return `jq '${oneLine.length > 80 ? `${oneLine.slice(0, 77)}...` : oneLine}'`;
}
/** jq's first error line, without its "jq: " prefix and the name of its (virtual) input file. */
function jqError(stderr, exitCode) {
    // Stryker disable next-line MethodExpression: equivalent, jq-wasm trims its stderr and jq prints no blank lines within it
    const first = stderr.split('\n').find(l => l.trim());
    const line = first
        ?.replace(/^jq: /, '')
        .replace(/ \(at \/dev\/stdin:\d+\)/, '')
        .replace(/:$/, ''); // before jq's copy of the offending line
    return line ?? `jq exited with code ${exitCode}`;
}
/** Why jq gave no output to judge: timed out, unavailable or failed. */
function noOutput(outcome) {
    if (outcome.kind === 'timeout')
        return `ran past ${(0,duration/* formatDuration */.a)(outcome.limitMs)}, the time limit for a jq expression; its worker thread was stopped`;
    if (outcome.kind === 'unavailable')
        return outcome.message;
    return `could not be checked (${outcome.message})`;
}
/**
 * Why `expression` does not compile, or undefined when it does. It is compiled but
 * not run: behind `empty |`, which outputs nothing, so nothing after it is evaluated,
 * and an expression that would never end cannot hang the check of the file. (`|` binds
 * loosest of jq's operators, so the whole expression is on its right. Module
 * directives, import and include, are refused: the WebAssembly jq has no modules.)
 * Throws when jq cannot run at all.
 */
async function jqCompileProblem(expression, jq = sharedJq()) {
    const outcome = await jq.run(
    // Stryker disable next-line StringLiteral,ArrayDeclaration: equivalent, with `empty |` in front nothing reads the input, so neither the input nor -n and -c change the verdict
    { input: 'null', filter: `empty |\n${expression}`, flags: ['-n', '-c'] }, JQ_TIME_LIMIT_MS);
    if (outcome.kind === 'unavailable')
        throw new Error(outcome.message);
    if (outcome.kind !== 'done')
        return noOutput(outcome);
    const { exitCode, stderr } = outcome;
    if (exitCode === 0)
        return undefined;
    // Line numbers as the user wrote the expression: the wrapper is a line of its own.
    return jqError(stderr, exitCode).replace(/\bline (\d+)/, (_, n) => `line ${Number(n) - 1}`);
}
/** What is wrong according to a jq assertion, given what jq did with the body; undefined when it passes. */
function jqVerdict(expression, outcome) {
    const at = label(expression);
    if (outcome.kind !== 'done')
        return `${at}: ${noOutput(outcome)}`;
    const { stdout, stderr, exitCode } = outcome;
    if (exitCode !== 0)
        return `${at}: ${jqError(stderr, exitCode)}`;
    // Compact output: one JSON value per line (newlines inside strings are escaped).
    // Stryker disable next-line MethodExpression: equivalent, a compact JSON value is never blank and jq-wasm trims stdout
    const outputs = stdout.split('\n').filter(line => line.trim());
    if (outputs.length === 0)
        return `${at}: expected true, got no output`;
    const falsy = outputs.findIndex(output => output === 'false' || output === 'null');
    if (falsy >= 0)
        return `${at}: expected true, got ${outputs[falsy]}${outputs.length > 1 ? ` (output ${falsy + 1} of ${outputs.length})` : ''}`;
    return undefined;
}
/**
 * What is wrong with `body` according to a jq assertion, or undefined when it passes.
 * `timeLimit` is asked when the expression starts, behind any still queued.
 */
async function checkJq(body, expression, timeLimit = JQ_TIME_LIMIT_MS, jq = sharedJq()) {
    return jqVerdict(expression, await jq.run({ input: body, filter: expression, flags: ['-c'] }, timeLimit));
}

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
            // Stryker disable next-line EqualityOperator: equivalent, a path starts with "." so a bracket is never at 0
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

;// CONCATENATED MODULE: ./src/smoke/jsonvalue.ts
/**
 * JSON values compared the way jq compares them (checked against jq 1.6 and 1.8):
 * equality, `contains`, `length` and type names. Pure; no JSON.stringify, so
 * Infinity and NaN (which YAML has and JSON has not) never pass for null.
 */
/**
 * The deepest nesting of arrays and objects a response body may have for JSON
 * assertions. jq 1.6 stops at 256 levels, jq 1.7 and later at 10,000; past this
 * limit the check fails with a clear reason instead of overflowing the stack.
 */
const MAX_JSON_DEPTH = 1000;
/** Is `text` nested deeper than `limit`? Counts [ and { outside strings: one cheap pass, no parsing. */
function nestedDeeperThan(text, limit = MAX_JSON_DEPTH) {
    // Each level needs an opening bracket, so a short text cannot be too deep.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, a shortcut: the loop below gives the same verdict for a short text
    if (text.length <= limit)
        return false;
    let depth = 0;
    let inString = false;
    // Stryker disable next-line EqualityOperator: equivalent, charCodeAt past the end is NaN, which matches no bracket
    for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (inString) {
            if (c === 0x5c)
                i++; // backslash: skip the escaped character
            else if (c === 0x22)
                inString = false;
        }
        else if (c === 0x22)
            inString = true;
        else if (c === 0x5b || c === 0x7b) {
            if (++depth > limit)
                return true;
        }
        else if (c === 0x5d || c === 0x7d)
            depth--;
    }
    return false;
}
/** jq's name for the type of a JSON value: null, boolean, number, string, array or object. */
function jsonType(value) {
    if (value === null)
        return 'null';
    return Array.isArray(value) ? 'array' : typeof value;
}
function isObject(value) {
    return value !== null && typeof value === 'object' && !Array.isArray(value);
}
/**
 * Deep equality as jq's `==`: key order does not matter, numbers compare by value
 * and NaN equals nothing. Infinity (YAML's .inf) equals no JSON value but a literal
 * too large for a double, which jq reads as infinite too.
 */
function jsonEqual(a, b) {
    if (Array.isArray(a)) {
        return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
    }
    if (isObject(a)) {
        if (!isObject(b))
            return false;
        const keys = Object.keys(a);
        return (keys.length === Object.keys(b).length &&
            keys.every(key => Object.hasOwn(b, key) && jsonEqual(a[key], b[key])));
    }
    return a === b;
}
/**
 * jq's `contains`: an object contains another when each key of the other is there and
 * its value contains the other's value; an array contains another when each element
 * of the other is contained in some element of it; a string contains its substrings;
 * anything else contains only what equals it. Values of different types never do
 * (jq reports an error there).
 */
function jsonContains(actual, expected) {
    if (jsonType(actual) !== jsonType(expected))
        return false;
    if (Array.isArray(actual)) {
        return expected.every(wanted => actual.some(item => jsonContains(item, wanted)));
    }
    if (isObject(actual)) {
        const wanted = expected;
        return Object.keys(wanted).every(key => Object.hasOwn(actual, key) && jsonContains(actual[key], wanted[key]));
    }
    if (typeof actual === 'string')
        return actual.includes(expected);
    return jsonEqual(actual, expected);
}
/** Unicode code points in a string (as jq counts them), not UTF-16 code units. */
function codePointLength(text) {
    let length = text.length;
    // Stryker disable next-line EqualityOperator,ArithmeticOperator: equivalent, a surrogate at the very end has no pair (charCodeAt past the end is NaN)
    for (let i = 0; i < text.length - 1; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0xd800 && c <= 0xdbff) {
            const next = text.charCodeAt(i + 1);
            if (next >= 0xdc00 && next <= 0xdfff) {
                length--;
                i++;
            }
        }
    }
    return length;
}
/**
 * jq's `length`: code points of a string, elements of an array, keys of an object,
 * the absolute value of a number, 0 for null; undefined for a boolean (an error in jq).
 */
function jsonLength(value) {
    if (value === null)
        return 0;
    if (typeof value === 'string')
        return codePointLength(value);
    if (typeof value === 'number')
        return Math.abs(value);
    if (Array.isArray(value))
        return value.length;
    if (isObject(value))
        return Object.keys(value).length;
    return undefined;
}
/** Does a value from the checks file hold a number JSON cannot carry (YAML's .inf, .nan)? */
function hasNonFiniteNumber(value) {
    if (typeof value === 'number')
        return !Number.isFinite(value);
    if (Array.isArray(value))
        return value.some(hasNonFiniteNumber);
    if (isObject(value))
        return Object.values(value).some(hasNonFiniteNumber);
    return false;
}

// EXTERNAL MODULE: ./node_modules/re2js/build/index.js
var build = __webpack_require__(2856);
;// CONCATENATED MODULE: ./src/smoke/regex.ts
/**
 * Regular expressions of smoke checks (`matches`, `expect.headers`, `expect.body.matches`):
 * RE2 syntax on re2js, a pure-JavaScript port of RE2 that matches in time linear in
 * the input, so no pattern can make a response take seconds to check (`^(a+)+$`
 * against "aaaa…!" backtracks exponentially in JavaScript's own RegExp). RE2 has no
 * lookaround and no backreferences: such patterns are refused when the file is read.
 */

const compiled = new Map();
/** Constructs that backtracking engines have and RE2 does not, for a clearer message. */
const UNSUPPORTED = /\(\?<?[=!]|\\[1-9]|\\k</;
/** Why `pattern` is not an RE2 regular expression, or undefined when it is one. */
function regexProblem(pattern) {
    try {
        compile(pattern);
        return undefined;
    }
    catch (error) {
        const message = error.message.replace(/^error parsing regexp: /, '');
        const hint = UNSUPPORTED.test(pattern)
            ? ' (the dialect is RE2: it has no lookahead, lookbehind or backreferences)'
            : '';
        return `invalid regular expression: ${message}${hint}`;
    }
}
function compile(pattern) {
    let re = compiled.get(pattern);
    if (!re) {
        re = build/* RE2JS */.L3.compile(pattern);
        compiled.set(pattern, re);
    }
    return re;
}
/** Does `pattern` match somewhere in `text` (like RegExp.test, unanchored)? Linear in the text. */
function regexTest(pattern, text) {
    return compile(pattern).test(text);
}

// EXTERNAL MODULE: ./src/verify/analysis/condition.ts
var condition = __webpack_require__(1925);
;// CONCATENATED MODULE: ./src/verify/analysis/spec.ts
/**
 * The `analysis:` section of the smoke-check file: Prometheus queries judged
 * while the release soaks. Each metric: name, query, interval, count (or a
 * duration: count = duration / interval), successCondition or thresholdRange,
 * failureLimit, inconclusiveLimit, and upstream {maxRatio, slack}. Errors name
 * the file and line, as the checks' do. Pure.
 */


const METRIC_FIELDS = new Set([
    'name',
    'query',
    'interval',
    'count',
    'duration',
    'successCondition',
    'thresholdRange',
    'failureLimit',
    'inconclusiveLimit',
    'upstream'
]);
const DEFAULT_INTERVAL_MS = 10_000;
function count(reader, map, key, where, fallback, min) {
    const value = map.get(key);
    if (value === undefined)
        return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
        reader.fail(`${where} ${key}`, `must be a whole number of at least ${min}`, reader.nodeOf(map, key));
    return value;
}
function number(reader, map, key, where) {
    const value = map.get(key);
    if (value === undefined)
        return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value))
        reader.fail(`${where} ${key}`, 'must be a number', reader.nodeOf(map, key));
    return value;
}
function success(reader, map, where) {
    const text = map.get('successCondition');
    const range = map.get('thresholdRange', true);
    if ((text === undefined) === (range === undefined))
        reader.fail(where, 'needs exactly one of successCondition (result < 0.05) or thresholdRange ({ max: 0.05 })', map);
    if (text !== undefined) {
        const parsed = typeof text === 'string' ? (0,condition/* parseCondition */.zB)(text) : 'must be a string such as result < 0.05';
        if (typeof parsed === 'string')
            reader.fail(`${where} successCondition`, parsed, reader.nodeOf(map, 'successCondition'));
        return parsed;
    }
    const bounds = reader.mapOf(range, `${where} thresholdRange`);
    reader.onlyFields(bounds, new Set(['min', 'max']), `${where} thresholdRange`);
    const min = number(reader, bounds, 'min', `${where} thresholdRange`);
    const max = number(reader, bounds, 'max', `${where} thresholdRange`);
    if (min === undefined && max === undefined)
        reader.fail(`${where} thresholdRange`, 'needs min, max or both', bounds);
    return (0,condition/* thresholdCondition */.Hb)(min, max);
}
function parseAnalysis(reader, node) {
    const root = reader.mapOf(node, 'analysis');
    reader.onlyFields(root, new Set(['interval', 'metrics']), 'analysis');
    const defaultInterval = reader.duration(root, 'interval', 'analysis', DEFAULT_INTERVAL_MS);
    const list = root.get('metrics', true);
    if (!(0,dist/* isSeq */.oP)(list) || list.items.length === 0)
        reader.fail('analysis metrics', 'must be a non-empty list', (list ?? root));
    const names = new Set();
    const metrics = list.items.map((item, index) => {
        const map = reader.mapOf(item, `analysis metric ${index + 1}`);
        reader.onlyFields(map, METRIC_FIELDS, `analysis metric ${index + 1}`);
        const name = map.get('name');
        if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name))
            reader.fail(`analysis metric ${index + 1} name`, 'must be a name such as error-rate', map);
        if (names.has(name))
            reader.fail(`analysis metric ${name}`, 'is defined twice', map);
        names.add(name);
        const where = `analysis metric ${name}`;
        const query = map.get('query');
        if (typeof query !== 'string' || !query.trim())
            reader.fail(`${where} query`, 'must be a PromQL query', map);
        const intervalMs = reader.duration(map, 'interval', where, defaultInterval);
        if (map.get('count') !== undefined && map.get('duration') !== undefined)
            reader.fail(where, 'give count or duration, not both', map);
        const durationMs = reader.duration(map, 'duration', where, 0);
        const measurements = durationMs
            ? Math.max(1, Math.floor(durationMs / intervalMs))
            : count(reader, map, 'count', where, 3, 1);
        const upstreamNode = map.get('upstream', true);
        let upstream;
        if (upstreamNode !== undefined) {
            const bound = reader.mapOf(upstreamNode, `${where} upstream`);
            reader.onlyFields(bound, new Set(['maxRatio', 'slack']), `${where} upstream`);
            const maxRatio = number(reader, bound, 'maxRatio', `${where} upstream`);
            if (maxRatio === undefined || maxRatio <= 0)
                reader.fail(`${where} upstream maxRatio`, 'must be a number above 0, such as 1.5', bound);
            upstream = { maxRatio, slack: number(reader, bound, 'slack', `${where} upstream`) ?? 0 };
        }
        return {
            name,
            query,
            intervalMs,
            count: measurements,
            success: success(reader, map, where),
            failureLimit: count(reader, map, 'failureLimit', where, 0, 0),
            inconclusiveLimit: count(reader, map, 'inconclusiveLimit', where, 0, 0),
            upstream,
            line: reader.lineOf(map)
        };
    });
    return { metrics };
}

;// CONCATENATED MODULE: ./src/smoke/spec.ts
/**
 * The smoke checks file (or inline YAML), parsed and validated strictly: an
 * error names the file, the check and the field, with the line. Pure, except that
 * a file with a jq assertion starts jq's worker thread (see prepareSmokeSpec).
 * Over 300 lines: one strict validator of the whole format, so every error names file, check, field and line alike.
 */








const DEFAULT_TIMEOUT_MS = 60_000;
const spec_DEFAULT_INTERVAL_MS = 2_000;
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
    'oneOf',
    'jq'
]);
const MATCHERS = 'equals, exists, matches, contains, gt, gte, lt, lte, length, type or oneOf';
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
            // A mapping or list has no scalar value (undefined); YAML's null is an object.
            if (v === undefined || typeof v === 'object')
                this.fail(`${where} ${key}.${String(pair.key.value)}`, 'must be a string', pair.value);
            result[String(pair.key.value)] = String(v);
        }
        return result;
    }
    /** An RE2 regular expression: no lookaround, no backreferences (see regex.ts). */
    regex(pattern, where, node) {
        if (typeof pattern !== 'string')
            this.fail(where, 'must be a regular expression string', node);
        const problem = regexProblem(pattern);
        if (problem)
            this.fail(where, problem, node);
        return pattern;
    }
}
function jqAssertion(reader, map, where) {
    const node = reader.nodeOf(map, 'jq');
    const others = map.items
        .map(pair => String(pair.key.value))
        .filter(key => key !== 'jq');
    if (others.length)
        reader.fail(where, `jq cannot be combined with ${others.join(', ')} (the expression can test the path itself: jq: '.version | test("^1")')`, map);
    const jq = map.get('jq');
    if (typeof jq !== 'string' || !jq.trim())
        reader.fail(`${where} jq`, "must be a jq expression, such as '.connected == true'", node);
    return { jq, line: reader.lineOf(node) };
}
function assertion(reader, node, where) {
    const map = reader.mapOf(node, where);
    if (map.has('jq'))
        return jqAssertion(reader, map, where);
    reader.onlyFields(map, ASSERTION_FIELDS, where);
    const value = map.toJSON();
    if (typeof value.path !== 'string')
        reader.fail(`${where} path`, 'is required (a jq-style path such as .version), or use jq:', map);
    try {
        parseJsonPath(value.path);
    }
    catch (error) {
        reader.fail(`${where} path`, error.message, reader.nodeOf(map, 'path'));
    }
    const checks = Object.keys(value).filter(k => k !== 'path');
    if (checks.length === 0)
        reader.fail(where, `needs a matcher: ${MATCHERS}`, map);
    for (const key of ['gt', 'gte', 'lt', 'lte', 'length']) {
        if (key in value && typeof value[key] !== 'number')
            reader.fail(`${where} ${key}`, 'must be a number', reader.nodeOf(map, key));
    }
    if ('exists' in value && typeof value.exists !== 'boolean')
        reader.fail(`${where} exists`, 'must be true or false', reader.nodeOf(map, 'exists'));
    // `type: null` is YAML's null: it means the type named "null".
    if ('type' in value && value.type === null)
        value.type = 'null';
    if ('type' in value && !JSON_TYPES.has(String(value.type)))
        reader.fail(`${where} type`, `must be one of ${[...JSON_TYPES].join(', ')}`, reader.nodeOf(map, 'type'));
    if ('oneOf' in value && !Array.isArray(value.oneOf))
        reader.fail(`${where} oneOf`, 'must be a list', reader.nodeOf(map, 'oneOf'));
    for (const key of ['equals', 'contains', 'oneOf']) {
        if (key in value && hasNonFiniteNumber(value[key]))
            reader.fail(`${where} ${key}`, 'can never match: JSON has no Infinity or NaN (.inf, .nan in YAML)', reader.nodeOf(map, key));
    }
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
    // Any header here means expect.headers was read above as a mapping.
    const headersNode = expectMap?.get('headers');
    for (const [header, pattern] of Object.entries(headers))
        reader.regex(pattern, `${where} expect.headers.${header}`, reader.nodeOf(headersNode, header));
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
        json: map.has('json') ? map.get('json', true).toJSON() : undefined,
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
/** Values aliases may copy in all: a few shared headers or bodies need far fewer. */
const MAX_ALIASED_VALUES = 1_000;
/**
 * An alias (`*common`) means its anchored value (`&common`): each is replaced by a copy of that
 * node, so the reader, which walks nodes for their lines, reads the value itself (at the line
 * of the anchor). The values copied are counted, so nested aliases cannot blow a small file up.
 */
function expandAliases(document, reader) {
    let copied = 0;
    (0,dist/* visit */.YR)(document, {
        Alias(_, alias) {
            const target = alias.resolve(document);
            if (!target)
                reader.fail('the smoke checks', `alias *${alias.source} has no anchor &${alias.source}`, alias);
            (0,dist/* visit */.YR)(target, { Node: () => void copied++ });
            if (copied > MAX_ALIASED_VALUES)
                reader.fail('the smoke checks', `aliases (*name) copy more than ${MAX_ALIASED_VALUES} values; write the values out`, alias);
            return target.clone();
        }
    });
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
    expandAliases(document, reader);
    const root = reader.mapOf(document.contents, 'the smoke checks');
    reader.onlyFields(root, new Set(['defaults', 'checks', 'analysis']), 'the smoke checks');
    // Metric analysis (verify/analysis/) shares the file: its queries run while the release soaks.
    const analysisNode = root.get('analysis', true);
    const analysis = analysisNode === undefined ? undefined : parseAnalysis(reader, analysisNode);
    const defaultsNode = root.get('defaults', true);
    const defaults = defaultsNode === undefined ? undefined : reader.mapOf(defaultsNode, 'defaults');
    if (defaults)
        reader.onlyFields(defaults, new Set(['timeout', 'interval']), 'defaults');
    const timeoutMs = defaults
        ? reader.duration(defaults, 'timeout', 'defaults', DEFAULT_TIMEOUT_MS)
        : DEFAULT_TIMEOUT_MS;
    const intervalMs = defaults
        ? reader.duration(defaults, 'interval', 'defaults', spec_DEFAULT_INTERVAL_MS)
        : spec_DEFAULT_INTERVAL_MS;
    const checksNode = root.get('checks', true);
    if (analysis && checksNode === undefined)
        return { source, checks: [], analysis };
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
    // jq's worker starts loading jq now, in its own thread; prepareSmokeSpec compiles through it.
    if (jqAssertions({ source, checks }).length)
        preloadJq();
    return { source, checks, ...(analysis ? { analysis } : {}) };
}
function jqAssertions(spec) {
    return spec.checks.flatMap(check => check.type === 'http'
        ? check.expect.json.flatMap((assertion, i) => 'jq' in assertion ? [{ assertion, where: `check "${check.name}" expect.json[${i}] jq` }] : [])
        : []);
}
/**
 * What a parsed spec needs before its checks run: starts jq when some check has a jq
 * assertion (only then), and compiles each expression, so that one that does not
 * compile is refused like any other error in the file (file, line, check, field).
 */
async function prepareSmokeSpec(spec, jq = sharedJq()) {
    const assertions = jqAssertions(spec);
    if (!assertions.length)
        return;
    for (const { assertion, where } of assertions) {
        let problem;
        try {
            problem = await jqCompileProblem(assertion.jq, jq);
        }
        catch (error) {
            // jq cannot run at all: the worker, not this expression.
            throw new errors/* StageError */.Zu('InvalidSmokeSpec', `${spec.source}: ${error.message}`, {
                location: { file: spec.source }
            });
        }
        if (problem)
            throw new errors/* StageError */.Zu('InvalidSmokeSpec', `${spec.source}${assertion.line ? `:${assertion.line}` : ''}: ${where}: ${problem}`, { location: { file: spec.source, line: assertion.line } });
    }
}
/** With only a base URL: GET /healthz must answer 2xx. */
function defaultSmokeSpec(timeoutMs = DEFAULT_TIMEOUT_MS, intervalMs = spec_DEFAULT_INTERVAL_MS) {
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
// EXTERNAL MODULE: ./src/redact.ts
var redact = __webpack_require__(6670);
// EXTERNAL MODULE: ./src/concurrency.ts
var concurrency = __webpack_require__(1532);
;// CONCATENATED MODULE: ./src/smoke/expect.ts
/**
 * Does a response meet a check's expectations? Each unmet one becomes a line. Pure but
 * for jq, which runs in a worker thread (see jq.ts): hence async. JSON assertions follow jq's
 * semantics (jsonvalue.ts); regular expressions are RE2, matched in linear time (regex.ts).
 */





function show(value) {
    // JSON.stringify would show Infinity and NaN (from YAML) as null.
    if (typeof value === 'number' && !Number.isFinite(value))
        return String(value);
    const text = JSON.stringify(value);
    return text === undefined ? 'undefined' : text.length > 120 ? `${text.slice(0, 117)}...` : text;
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
    if ('equals' in assertion && !jsonEqual(value, assertion.equals))
        return `${at}: expected ${show(assertion.equals)}, got ${show(value)}`;
    // YAML reads `type: null` as null, not as the name "null".
    const type = assertion.type === undefined ? undefined : (assertion.type ?? 'null');
    if (type !== undefined && jsonType(value) !== type)
        return `${at}: expected type ${type}, got ${jsonType(value)}`;
    if (assertion.matches !== undefined &&
        !(typeof value === 'string' && regexTest(assertion.matches, value))) {
        return `${at}: expected to match /${assertion.matches}/, got ${show(value)}`;
    }
    if ('contains' in assertion && !jsonContains(value, assertion.contains)) {
        // jq: an array contains an array ([1,2] | contains([1])), never a bare element.
        const hint = Array.isArray(value) && !Array.isArray(assertion.contains)
            ? ` (as in jq, write the element in a list: contains: [${show(assertion.contains)}])`
            : '';
        return `${at}: expected to contain ${show(assertion.contains)}, got ${show(value)}${hint}`;
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
        const length = jsonLength(value);
        if (length !== assertion.length)
            return `${at}: expected length ${assertion.length}, got ${length === undefined ? show(value) : length}`;
    }
    if (assertion.oneOf !== undefined && !assertion.oneOf.some(option => jsonEqual(value, option))) {
        return `${at}: expected one of ${show(assertion.oneOf)}, got ${show(value)}`;
    }
    return undefined;
}
async function checkJsonBody(expectation, body, options) {
    // Checked before parsing: walking a value nested 100,000 deep would overflow the stack,
    // and the error would escape as if the request had failed.
    if (nestedDeeperThan(body, MAX_JSON_DEPTH))
        return [`body: nested deeper than ${MAX_JSON_DEPTH} levels, the limit for JSON assertions`];
    let document;
    try {
        document = JSON.parse(body);
    }
    catch (error) {
        return [`body: expected JSON, got something else (${error.message})`];
    }
    const problems = [];
    // What is left before the deadline, counted when an expression starts: others may run first.
    const jqLimit = () => jqTimeLimitMs(options.deadline, Date.now());
    for (const assertion of expectation.json) {
        try {
            const problem = 'jq' in assertion
                ? await checkJq(body, assertion.jq, jqLimit)
                : checkJsonAssertion(document, assertion);
            if (problem !== undefined)
                problems.push(problem);
        }
        catch (error) {
            // Whatever goes wrong in an assertion fails the assertion, not the request.
            const at = 'jq' in assertion ? `jq '${assertion.jq}'` : assertion.path;
            problems.push(`${at}: could not be checked (${error.message})`);
        }
    }
    return problems;
}
/** Every unmet expectation, as "what: expected ..., got ..." lines; empty when the response passes. */
async function checkResponse(expectation, response, options = {}) {
    const problems = [];
    const statusOk = expectation.status.length
        ? expectation.status.includes(response.status)
        : response.status >= 200 && response.status < 300;
    if (!statusOk)
        problems.push(`status: expected ${expectation.status.length ? expectation.status.join(' or ') : '2xx'}, got ${response.status}`);
    for (const [name, pattern] of Object.entries(expectation.headers)) {
        const value = response.headers[name.toLowerCase()];
        if (value === undefined || !regexTest(pattern, value))
            problems.push(`header ${name}: expected to match /${pattern}/, got ${value === undefined ? 'none' : redact/* SENSITIVE_HEADERS */.sM.has(name.toLowerCase()) ? redact/* REDACTED */.XF : show(value)}`);
    }
    if (expectation.body?.contains !== undefined && !response.body.includes(expectation.body.contains)) {
        problems.push(`body: expected to contain ${show(expectation.body.contains)}`);
    }
    if (expectation.body?.matches !== undefined && !regexTest(expectation.body.matches, response.body)) {
        problems.push(`body: expected to match /${expectation.body.matches}/`);
    }
    if (expectation.json.length)
        problems.push(...(await checkJsonBody(expectation, response.body, options)));
    if (expectation.maxDurationMs !== undefined && response.durationMs > expectation.maxDurationMs) {
        problems.push(`duration: expected at most ${expectation.maxDurationMs}ms, took ${Math.round(response.durationMs)}ms`);
    }
    return problems;
}

;// CONCATENATED MODULE: ./src/smoke/interpolate.ts
/** `${NAME}` from the environment, in any string of a check. Pure. */
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
function unsetMessage(where, name) {
    return `${where} uses \${${name}}, which is not set in the environment`;
}
function interpolate(text, env, where) {
    return text.replace(REFERENCE, (_, name) => {
        const value = env[name];
        if (value === undefined)
            throw new Error(unsetMessage(where, name));
        return value;
    });
}
/**
 * For a `run:` command, which is never interpolated (the shell expands
 * `${NAME}` from its environment, as data): throws, as interpolate would,
 * when a `${NAME}` it uses is not set. Substitutes nothing.
 */
function requireReferences(text, env, where) {
    for (const [, name] of text.matchAll(REFERENCE))
        if (env[name] === undefined)
            throw new Error(unsetMessage(where, name));
}

// EXTERNAL MODULE: ./node_modules/undici/index.js
var undici = __webpack_require__(6752);
;// CONCATENATED MODULE: ./src/smoke/http.ts
/**
 * One HTTP request with undici: TLS verified unless told otherwise, a private
 * CA when given, redirects followed (at most 5), a deadline.
 *
 * Redirects are followed here rather than by undici's interceptor, which drops
 * only Authorization, Cookie and Proxy-Authorization on a cross-origin redirect:
 * a redirect to another origin must carry no credential at all (X-Api-Key,
 * X-Auth-Token, or any header whose value holds a secret).
 */



function createDispatcher(tls) {
    const connect = {};
    if (tls.caFile)
        connect.ca = (0,external_node_fs_.readFileSync)(tls.caFile, 'utf8');
    if (tls.insecure)
        connect.rejectUnauthorized = false;
    return new undici.Agent({ connect });
}
const BODY_LIMIT = 1024 * 1024;
const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([300, 301, 302, 303, 307, 308]);
/**
 * The request to send to `location` after a `status` redirect from `from`. Pure.
 * A 303 (and a 301 or 302 answering a POST) becomes a GET without body or
 * Content-* headers, as browsers do. On a redirect to another origin (scheme,
 * host or port), every credential header is left out: the sensitive names
 * (isSensitiveHeader) and any header whose value holds one of `secrets`.
 */
function redirectedRequest(from, to, status, init, secrets) {
    let { method, body } = init;
    let dropContent = false;
    if ((status === 303 && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
        dropContent = true;
    }
    const crossOrigin = from.origin !== to.origin;
    const headers = {};
    for (const [name, value] of Object.entries(init.headers)) {
        const lower = name.toLowerCase();
        if (lower === 'host')
            continue;
        if (dropContent && lower.startsWith('content-'))
            continue;
        if (crossOrigin && ((0,redact/* isSensitiveHeader */.yx)(name) || (0,redact/* redact */.E$)(value, secrets) !== value))
            continue;
        headers[name] = value;
    }
    return { method, headers, body };
}
async function send(dispatcher, url, init, timeoutMs, options = {}) {
    const started = performance.now();
    const signal = AbortSignal.timeout(Math.max(1, timeoutMs));
    let current = new URL(url);
    let next = init;
    for (let redirects = 0;; redirects++) {
        const response = await (0,undici.request)(current, {
            method: next.method,
            headers: next.headers,
            body: next.body,
            dispatcher,
            signal
        });
        const location = response.headers.location;
        if (REDIRECT_STATUSES.has(response.statusCode) &&
            typeof location === 'string' &&
            location !== '' &&
            redirects < MAX_REDIRECTS) {
            await response.body.dump();
            const target = new URL(location, current);
            if (target.protocol !== 'http:' && target.protocol !== 'https:')
                throw new Error(`redirected to a ${target.protocol} URL, which is not followed`);
            next = redirectedRequest(current, target, response.statusCode, next, options.secrets ?? []);
            current = target;
            continue;
        }
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
}

// EXTERNAL MODULE: ./src/network.ts
var network = __webpack_require__(9473);
;// CONCATENATED MODULE: ./src/smoke/reach.ts
/** Whether a request reached the service, and when each service first answered. */

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

// EXTERNAL MODULE: ./node_modules/@actions/exec/lib/exec.js + 4 modules
var exec = __webpack_require__(5334);
;// CONCATENATED MODULE: ./src/smoke/script.ts
/**
 * `run:` checks: a shell command through @actions/exec; it passes when it exits 0.
 * The command is the check's `run:` text as written in the checks file, never
 * with values spliced in: values (SMOKE_URL, `${NAME}`) reach it only through
 * `env`, and bash expands them as data, so a value holding `;`, `$(...)`,
 * backticks, quotes or newlines is never run as code.
 */

/** What coreutils' timeout exits with when it had to stop the command (SIGTERM, then SIGKILL). */
const TIMEOUT_EXIT_CODES = new Set([124, 137]);
/**
 * `command` is passed as one argument of `bash -c` (no shell in between), and
 * `env` is the whole environment of the command. `--noprofile --norc`, as in a
 * workflow's `run:` step: bash reads ~/.bashrc when stdin is a socket (as
 * Node's pipes are) and it guesses it was started by a remote shell daemon.
 * coreutils' `timeout` ends the whole command at its deadline (and kills it 5 s
 * later if it ignores SIGTERM), so a hung script cannot outlive the check.
 */
async function runScript(command, env, cwd, timeoutMs) {
    const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    const started = Date.now();
    const result = await (0,exec/* getExecOutput */.H)('timeout', ['--kill-after=5', String(seconds), 'bash', '--noprofile', '--norc', '-c', command], {
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
 * Over 300 lines: HTTP and script checks share one deadline, retry rule and redaction; transport
 * (http.ts), reachability (reach.ts) and scripts (script.ts) are already apart.
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
        .filter(([name, value]) => (0,redact/* isSensitiveHeader */.yx)(name) || value.length >= 8)
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
/**
 * A body as it may be shown: every secret redacted, and a JSON body still JSON
 * with its numbers as written whenever redacting it as text allows.
 */
function redactedBody(body, secrets) {
    const text = (0,redact/* redact */.E$)(body, secrets);
    let parsed;
    try {
        parsed = JSON.parse(text);
    }
    catch {
        // Not JSON, or text redaction broke it (a secret inside a number, or across quotes).
        try {
            return JSON.stringify((0,redact/* redactJson */.Kp)(JSON.parse(body), secrets));
        }
        catch {
            return text;
        }
    }
    // A string the server escaped ("\u003c") hides a secret from text redaction: then value by value.
    const deep = JSON.stringify((0,redact/* redactJson */.Kp)(parsed, secrets));
    return deep === JSON.stringify(parsed) ? text : deep;
}
/** The response as it may be shown: every secret redacted, credential headers blanked. */
function redactedResponse(response, secrets) {
    const headers = Object.fromEntries(Object.entries(response.headers).map(([name, value]) => [
        name,
        (0,redact/* isSensitiveHeader */.yx)(name) ? redact/* REDACTED */.XF : (0,redact/* redact */.E$)(value, secrets)
    ]));
    return { ...response, body: redactedBody(response.body, secrets), headers };
}
/**
 * What was wrong, with no part of a secret. The messages quote response values
 * cut to a length (and JSON.parse quotes the start of a body): a secret cut in
 * two would no longer be found by redact. So the messages are made again from
 * the redacted response, where every cut falls on text already redacted. When
 * redaction changes which expectations fail, the values are left out instead.
 * When redaction changed nothing, the messages are already those: the checks (jq's
 * expressions among them, up to their time limit) do not run twice.
 */
async function describeProblems(expectation, problems, response, view, secrets, deadline) {
    if (secrets.length === 0)
        return problems.join('; ');
    const unchanged = view.body === response.body &&
        Object.entries(view.headers).every(([name, value]) => response.headers[name] === value);
    if (unchanged)
        return (0,redact/* redact */.E$)(problems.join('; '), secrets);
    const shown = await checkResponse(expectation, view, { deadline });
    const stem = (problem) => problem.split(', got ')[0];
    const same = shown.length === problems.length && shown.every((p, i) => stem(p) === stem(problems[i]));
    const lines = same
        ? shown
        : problems.map(p => p === stem(p) ? p : `${stem(p)}, got a value not shown (the response holds a secret)`);
    return (0,redact/* redact */.E$)(lines.join('; '), secrets);
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
        return {
            result: result(check, started, 0, false, { reason: (0,redact/* redact */.E$)(error.message, options.secrets) })
        };
    }
    const { url, headers, body, secrets } = request;
    const origin = new URL(url).origin;
    const target = (0,redact/* redact */.E$)(origin, secrets);
    if (!check.retry && context.probedOrigins.has(origin))
        await context.answers.wait(origin, deadline);
    let attempts = 0;
    let last = {};
    let lastReason = '';
    for (;;) {
        attempts++;
        let reached = true;
        try {
            const response = await send(context.dispatcher, url, { method: check.method, headers, body }, deadline - Date.now(), 
            // A redirect to another origin carries none of the configured secrets.
            { secrets: options.secrets });
            context.answers.answered(origin);
            const problems = await checkResponse(check.expect, response, { deadline });
            if (problems.length === 0)
                return {
                    origin,
                    result: result(check, started, attempts, true, { lastStatus: response.status, target })
                };
            const view = secrets.length ? redactedResponse(response, secrets) : response;
            last = {
                lastStatus: response.status,
                bodyExcerpt: (0,redact/* redactAndCut */.X2)(view.body, secrets, EXCERPT_LIMIT),
                reason: await describeProblems(check.expect, problems, response, view, secrets, deadline)
            };
        }
        catch (error) {
            reached = !(0,network/* neverReachedServer */.aD)(error);
            const cause = error.cause;
            const said = (0,redact/* redact */.E$)(`request failed: ${cause?.message ?? error.message}${cause?.code ? ` (${cause.code})` : ''}`, secrets);
            // An attempt the check's own deadline cut short says nothing new: what the earlier one found
            // (a certificate refused, a 503) is still why the check failed.
            const cutByDeadline = Date.now() >= deadline - 20 &&
                [error, cause].some(e => e?.name === 'TimeoutError');
            last =
                attempts > 1 && last.reason && cutByDeadline
                    ? { ...last, reason: `${last.reason} (the last attempt was cut short by the check's timeout)` }
                    : { reason: said };
        }
        if (last.reason !== lastReason) {
            options.log(`smoke ${check.name}: attempt ${attempts}: ${last.reason}`);
            lastReason = last.reason ?? '';
        }
        if ((!check.retry && reached) || Date.now() + check.intervalMs >= deadline)
            break;
        await (0,promises_.setTimeout)(check.intervalMs);
    }
    return { origin, result: result(check, started, attempts, false, { ...last, target }) };
}
/**
 * What `${NAME}` and scripts may read: the job's environment without the
 * action's own inputs (INPUT_KUBECONFIG, INPUT_GITHUB-TOKEN), plus SMOKE_URL.
 * A script gets these as its environment, never spliced into its command.
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
/**
 * A `run:` command goes to bash as written: `${NAME}` and `$SMOKE_URL` are
 * expanded by bash from its environment, as data that is never parsed as code
 * (a value with `;`, `$(...)`, backticks, quotes or newlines stays a value).
 * Splicing values into the command text would run them.
 */
async function runScriptCheck(check, options) {
    const started = Date.now();
    const deadline = started + check.timeoutMs;
    const env = options.env;
    let attempts = 0;
    for (;;) {
        attempts++;
        let outcome;
        try {
            // A ${NAME} that is not set fails this check alone, as in every other field.
            requireReferences(check.run, env, `check "${check.name}" run`);
            outcome = await runScript(check.run, env, options.workspace, deadline - Date.now());
        }
        catch (error) {
            // A check that cannot run fails alone; the others still run.
            return result(check, started, attempts, false, {
                reason: (0,redact/* redact */.E$)(error.message, options.secrets)
            });
        }
        const passed = outcome.exitCode === 0;
        const last = {
            output: (0,redact/* redactAndCut */.X2)(outcome.output, options.secrets, SCRIPT_OUTPUT_LIMIT, 'end'),
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
/** The password (or lone token) of the base URL's `user:password@`, as written and decoded: secrets too. */
function baseUrlCredentials(baseUrl) {
    if (!baseUrl)
        return [];
    let url;
    try {
        url = new URL(baseUrl);
    }
    catch {
        return [];
    }
    const decode = (text) => {
        try {
            return decodeURIComponent(text);
        }
        catch {
            return text;
        }
    };
    const found = new Set();
    // A userinfo without a password is usually a token (https://<token>@host).
    const secret = url.password || url.username;
    if (secret)
        for (const value of [secret, decode(secret)])
            found.add(value);
    if (url.username && url.password)
        found.add(`${url.username}:${url.password}`);
    return [...found];
}
/**
 * Runs every check. Each HTTP check's result says when its service (origin)
 * first answered at all: `target` and `targetAnsweredAfterMs`.
 */
async function runSmokeChecks(spec, options) {
    const secrets = [...options.secrets, ...baseUrlCredentials(options.baseUrl)];
    const checked = { ...options, secrets, env: checkEnvironment(options) };
    const context = {
        dispatcher: createDispatcher(options.tls),
        answers: new FirstAnswers(),
        probedOrigins: retriedOrigins(spec, checked)
    };
    try {
        const runs = await (0,concurrency/* mapConcurrent */._k)(spec.checks, options.concurrency ?? 8, (check) => check.type === 'script'
            ? runScriptCheck(check, checked).then(result => ({ result, origin: undefined }))
            : runHttp(check, checked, context));
        for (const origin of new Set([...context.probedOrigins])) {
            const after = context.answers.afterMs(origin);
            const shown = (0,redact/* redact */.E$)(origin, secrets);
            options.log(after === undefined
                ? `smoke: ${shown} never answered`
                : `smoke: ${shown} first answered after ${(0,duration/* formatDuration */.a)(after)}`);
        }
        // Once every check is done: a check that gave up early still learns when its service answered.
        return runs.map(({ result, origin }) => {
            const after = origin === undefined ? undefined : context.answers.afterMs(origin);
            return after === undefined ? result : { ...result, targetAnsweredAfterMs: after };
        });
    }
    finally {
        // The jq worker too, if a check started one: nothing is left to hold the process open.
        await Promise.all([context.dispatcher.close(), stopJq()]);
    }
}

;// CONCATENATED MODULE: ./src/smoke/index.ts
/** The smoke stage's public face: where the checks come from, and running them. */






/**
 * `smoke-checks` is a path to a YAML file in the workspace, or the YAML itself
 * (anything with a newline or a "checks:" key). With only `smoke-url`, GET /healthz.
 */
function loadSmokeSpec(input) {
    const tests = input.smokeTests?.trim();
    if (!tests)
        return input.smokeUrl ? defaultSmokeSpec() : undefined;
    if (tests.includes('\n') || /^\s*(checks|defaults)\s*:/.test(tests))
        return parseSmokeSpec(tests, 'smoke-checks');
    const file = external_node_path_default().resolve(input.workspace, tests);
    if (!(0,external_node_fs_.existsSync)(file))
        throw new errors/* StageError */.Zu('InvalidInput', `Input smoke-checks names ${tests}, which does not exist in the workspace.`);
    const real = (0,external_node_fs_.realpathSync)(file);
    const workspace = (0,external_node_fs_.realpathSync)(input.workspace);
    if (!real.startsWith(workspace + (external_node_path_default()).sep))
        throw new errors/* StageError */.Zu('InvalidInput', `Input smoke-checks names ${tests}, which is outside the workspace.`);
    return parseSmokeSpec((0,external_node_fs_.readFileSync)(real, 'utf8'), external_node_path_default().relative(workspace, real));
}


/***/ }),

/***/ 1925:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Hb: () => (/* binding */ thresholdCondition),
/* harmony export */   pu: () => (/* binding */ describeCondition),
/* harmony export */   v9: () => (/* binding */ holds),
/* harmony export */   zB: () => (/* binding */ parseCondition)
/* harmony export */ });
const COMPARISON = /^\s*result(?:\[0\])?\s*(<=|>=|==|!=|<|>)\s*(-?(?:\d+\.?\d*|\.\d+)(?:e-?\d+)?)\s*$/i;
/** The condition, or a message saying what is wrong with it. */
function parseCondition(text) {
    const or = text.split('||').map(part => part.split('&&'));
    const parsed = [];
    for (const group of or) {
        const all = [];
        for (const term of group) {
            const match = COMPARISON.exec(term);
            if (!match)
                return `"${term.trim()}" is not a comparison of result with a number, such as result < 0.05 (&& and || join them)`;
            all.push({ op: match[1], value: Number(match[2]) });
        }
        parsed.push(all);
    }
    const groups = parsed.map(all => (all.length === 1 ? all[0] : { and: all }));
    return groups.length === 1 ? groups[0] : { or: groups };
}
function thresholdCondition(min, max) {
    const terms = [];
    if (min !== undefined)
        terms.push({ op: '>=', value: min });
    if (max !== undefined)
        terms.push({ op: '<=', value: max });
    return terms.length === 1 ? terms[0] : { and: terms };
}
function holds(condition, result) {
    if ('and' in condition)
        return condition.and.every(c => holds(c, result));
    if ('or' in condition)
        return condition.or.some(c => holds(c, result));
    switch (condition.op) {
        case '<':
            return result < condition.value;
        case '<=':
            return result <= condition.value;
        case '>':
            return result > condition.value;
        case '>=':
            return result >= condition.value;
        case '==':
            return result === condition.value;
        case '!=':
            return result !== condition.value;
    }
}
function describeCondition(condition) {
    if ('and' in condition)
        return condition.and.map(describeCondition).join(' && ');
    if ('or' in condition)
        return condition.or.map(describeCondition).join(' || ');
    return `result ${condition.op} ${condition.value}`;
}


/***/ })

};
