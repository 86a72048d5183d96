export const id = 741;
export const ids = [741];
export const modules = {

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


/***/ }),

/***/ 6741:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  runAnalysis: () => (/* binding */ runAnalysis)
});

// UNUSED EXPORTS: expandQuery

// EXTERNAL MODULE: ./src/duration.ts
var duration = __webpack_require__(7607);
// EXTERNAL MODULE: ./src/verify/analysis/condition.ts
var condition = __webpack_require__(1925);
;// CONCATENATED MODULE: ./src/verify/analysis/evaluate.ts
/**
 * A metric's verdict from its measurements, as Argo Rollouts counts them: more
 * failed measurements than failureLimit fails it; more without data than
 * inconclusiveLimit makes it inconclusive (no data is never a pass); otherwise,
 * once every measurement is taken, it succeeds, unless its last value is above
 * the bound the upstream stage's value sets. Pure.
 */

const formatValue = (value) => String(Number(value.toPrecision(4)));
function judgeMetric(spec, measurements, upstream) {
    const values = measurements.map(m => ('value' in m ? m.value : null));
    const bad = measurements.filter(m => 'value' in m && !(0,condition/* holds */.v9)(spec.success, m.value));
    const missing = measurements.filter(m => 'inconclusive' in m);
    const last = [...values].reverse().find((v) => v !== null);
    const base = { name: spec.name, values, value: last, failed: bad.length, inconclusive: missing.length };
    if (bad.length > spec.failureLimit)
        return {
            ...base,
            phase: 'Failed',
            reason: `${bad.length} of ${measurements.length} measurement(s) failed ${(0,condition/* describeCondition */.pu)(spec.success)} (measured ${bad.map(b => formatValue(b.value)).join(', ')}; failureLimit ${spec.failureLimit})`
        };
    if (missing.length > spec.inconclusiveLimit)
        return {
            ...base,
            phase: 'Inconclusive',
            reason: `${missing.length} of ${measurements.length} measurement(s) had no value (${missing[missing.length - 1].inconclusive}; inconclusiveLimit ${spec.inconclusiveLimit})`
        };
    if (spec.upstream && upstream && last !== undefined) {
        const limit = upstream.value * spec.upstream.maxRatio + spec.upstream.slack;
        const compared = { ...upstream, limit };
        if (last > limit)
            return {
                ...base,
                phase: 'Failed',
                upstream: compared,
                reason: `${formatValue(last)} is above ${formatValue(limit)}, ${spec.upstream.maxRatio} times what ${upstream.environment} measured (${formatValue(upstream.value)})${spec.upstream.slack ? ` plus ${spec.upstream.slack}` : ''}`
            };
        return {
            ...base,
            phase: 'Successful',
            upstream: compared,
            reason: `${formatValue(last)}, within ${formatValue(limit)} of ${upstream.environment}'s bound`
        };
    }
    return {
        ...base,
        phase: 'Successful',
        reason: `${measurements.length - missing.length} measurement(s) met ${(0,condition/* describeCondition */.pu)(spec.success)}${last !== undefined ? `, last ${formatValue(last)}` : ''}`
    };
}

;// CONCATENATED MODULE: ./src/verify/analysis/prometheus.ts
const QUERY_TIMEOUT_MS = 10_000;
async function queryPrometheus(baseUrl, query, headers) {
    const url = new URL('api/v1/query', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    url.searchParams.set('query', query);
    let body;
    try {
        const response = await fetch(url, { headers, signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) });
        body = (await response.json().catch(() => ({})));
        if (!response.ok || body.status !== 'success')
            return { inconclusive: `Prometheus answered ${response.status}${body.error ? `: ${body.error}` : ''}` };
    }
    catch (error) {
        const cause = error.cause?.code;
        return { inconclusive: `Prometheus did not answer (${cause ?? error.message})` };
    }
    return measurementOf(body.data);
}
/** The number a query's result holds, or why it holds none. Pure. */
function measurementOf(data) {
    let sample;
    if (data?.resultType === 'scalar')
        sample = data.result;
    else if (data?.resultType === 'vector' && Array.isArray(data.result)) {
        if (data.result.length === 0)
            return { inconclusive: 'the query returned no data' };
        if (data.result.length > 1)
            return {
                inconclusive: `the query returned ${data.result.length} series; aggregate it to one (sum, max)`
            };
        sample = data.result[0].value;
    }
    else
        return { inconclusive: `the query returned a ${data?.resultType ?? 'missing'} result, not one number` };
    const value = Number(Array.isArray(sample) ? sample[1] : NaN);
    if (!Number.isFinite(value))
        return { inconclusive: `the query returned ${Array.isArray(sample) ? String(sample[1]) : 'no number'}` };
    return { value };
}

;// CONCATENATED MODULE: ./src/verify/analysis/run.ts
/**
 * Runs every metric of the analysis at once: one measurement per interval
 * (the first after one interval, so a rate has samples of the new pods), up to
 * its count, stopping early once it has failed. Logs each measurement.
 */



function expandQuery(query, variables) {
    return query.replace(/\$\{([A-Z_]+)\}/g, (whole, name) => variables[name] ?? whole);
}
async function runAnalysis(spec, options) {
    options.log(`Analysis: ${spec.metrics.map(m => `${m.name} (${m.count} × ${(0,duration/* formatDuration */.a)(m.intervalMs)})`).join(', ')} from ${options.url}`);
    return Promise.all(spec.metrics.map(metric => runMetric(metric, options)));
}
async function runMetric(metric, options) {
    const query = expandQuery(metric.query, options.variables);
    const upstreamValue = options.upstream?.values[metric.name];
    const upstream = upstreamValue === undefined
        ? undefined
        : { environment: options.upstream.environment, value: upstreamValue };
    const measurements = [];
    for (let i = 0; i < metric.count; i++) {
        await new Promise(resolve => setTimeout(resolve, metric.intervalMs));
        if (options.signal?.aborted)
            break;
        const measurement = await queryPrometheus(options.url, query, options.headers);
        measurements.push(measurement);
        options.log(`Analysis ${metric.name}: measurement ${i + 1}/${metric.count}: ${'value' in measurement ? measurement.value : `inconclusive, ${measurement.inconclusive}`}`);
        if (judgeMetric(metric, measurements).phase === 'Failed')
            break;
    }
    return judgeMetric(metric, measurements, upstream);
}


/***/ })

};
