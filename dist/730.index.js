export const id = 730;
export const ids = [730];
export const modules = {

/***/ 7730:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  soak: () => (/* binding */ soak)
});

// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(3916);
// EXTERNAL MODULE: ./src/duration.ts
var duration = __webpack_require__(7607);
// EXTERNAL MODULE: ./src/kube/wait-reads.ts
var wait_reads = __webpack_require__(512);
;// CONCATENATED MODULE: ./src/verify/soak-rules.ts
const ownerOf = (pod) => pod.metadata?.ownerReferences?.find(o => o.controller)?.uid;
/** The rolled-out pods a soak starts from. */
function soakBaseline(pods) {
    return {
        owners: new Set(pods.map(ownerOf).filter((uid) => Boolean(uid))),
        restarts: new Map(pods.map(pod => [
            pod.metadata?.uid ?? '',
            new Map((pod.status?.containerStatuses ?? []).map(c => [c.name, c.restartCount ?? 0]))
        ]))
    };
}
/** The pods of the new revision among those listed now: same controllers, or the very pods. */
function soakedPods(baseline, pods) {
    return pods.filter(pod => {
        const owner = ownerOf(pod);
        return (owner && baseline.owners.has(owner)) || baseline.restarts.has(pod.metadata?.uid ?? '');
    });
}
/** The first thing wrong with the new revision's pods now, if any. */
function soakProblem(baseline, pods) {
    for (const pod of soakedPods(baseline, pods)) {
        const name = pod.metadata?.name ?? '?';
        if (pod.metadata?.deletionTimestamp)
            continue; // scaled down or replaced on purpose
        if (pod.status?.reason === 'Evicted')
            return {
                code: 'Evicted',
                pod: name,
                reason: `pod ${name} was evicted: ${pod.status.message ?? 'Evicted'}`
            };
        const before = baseline.restarts.get(pod.metadata?.uid ?? '');
        for (const status of pod.status?.containerStatuses ?? []) {
            // A container that has stopped counts at once: its restart is only the kubelet's next step.
            const restarted = (status.restartCount ?? 0) > (before?.get(status.name) ?? 0);
            const ended = status.state?.terminated ?? (restarted ? status.lastState?.terminated : undefined);
            if (!restarted && !ended)
                continue;
            const exit = ended ? ` (exit code ${ended.exitCode}${ended.reason ? `, ${ended.reason}` : ''})` : '';
            const oom = ended?.reason === 'OOMKilled';
            return {
                code: oom ? 'OOMKilled' : 'PodRestarted',
                pod: name,
                container: status.name,
                reason: oom
                    ? `container ${status.name} of pod ${name} was killed for using more memory than its limit${exit}`
                    : `container ${status.name} of pod ${name} ${restarted ? 'restarted' : 'stopped'}${exit}`
            };
        }
        // A pod made since (a replacement) is still starting: only the soaked pods' readiness counts.
        const ready = pod.status?.conditions?.find(c => c.type === 'Ready');
        if (before && ready?.status === 'False')
            return {
                code: 'ReadinessLost',
                pod: name,
                reason: `pod ${name} is no longer ready${ready.reason ? ` (${ready.reason}${ready.message ? `: ${ready.message}` : ''})` : ''}`
            };
    }
    return undefined;
}

;// CONCATENATED MODULE: ./src/verify/soak.ts




const POLL_MS = 2_000;
async function soak(client, options) {
    const { record, log } = options;
    const baseline = soakBaseline(options.pods);
    const started = Date.now();
    const ends = started + options.durationMs;
    let nextRound = started + options.intervalMs;
    let nextLog = started + options.intervalMs;
    record.pods = options.pods.length;
    const path = `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/pods`;
    log(`Soak: watching ${options.pods.length} pod(s) of the new revision for ${(0,duration/* formatDuration */.a)(options.durationMs)}${options.smokeRound ? `, smoke checks every ${(0,duration/* formatDuration */.a)(options.intervalMs)}` : ''}`);
    for (;;) {
        const now = Date.now();
        record.watchedMs = now - started;
        const pods = (await client.getJson(path)).items ?? [];
        const problem = soakProblem(baseline, pods);
        if (problem)
            throw await soakFailure(client, options, problem, record);
        if (now >= ends || options.signal?.aborted)
            break;
        if (options.smokeRound && now >= nextRound) {
            const failed = await options.smokeRound();
            if (failed.length > 0) {
                record.failure = `smoke check ${failed[0]} failed ${(0,duration/* formatDuration */.a)(Date.now() - started)} into the soak`;
                throw new errors/* StageError */.Zu('SmokeFailed', `Soak: ${failed.length} smoke check(s) failed ${(0,duration/* formatDuration */.a)(Date.now() - started)} into the soak; first, "${failed[0]}"`, { details: failed });
            }
            record.rounds++;
            nextRound = Date.now() + options.intervalMs;
        }
        if (now >= nextLog) {
            log(`Soak: ${(0,duration/* formatDuration */.a)(now - started)} of ${(0,duration/* formatDuration */.a)(options.durationMs)}, ${soakedPods(baseline, pods).length} pod(s) steady${options.smokeRound ? `, ${record.rounds} smoke round(s) passed` : ''}`);
            nextLog = now + options.intervalMs;
        }
        await new Promise(resolve => setTimeout(resolve, Math.max(0, Math.min(POLL_MS, ends - Date.now()))));
    }
    record.watchedMs = Date.now() - started;
    if (options.signal?.aborted)
        return;
    record.passed = true;
    log(`Soak passed: ${record.pods} pod(s) steady for ${(0,duration/* formatDuration */.a)(record.watchedMs)}${options.smokeRound ? `, ${record.rounds} smoke round(s) passed` : ''}`);
}
async function soakFailure(client, options, problem, record) {
    const at = (0,duration/* formatDuration */.a)(record.watchedMs);
    record.failure = `${problem.reason}, ${at} into the soak`;
    const logTail = problem.container && problem.code !== 'ReadinessLost'
        ? await (0,wait_reads/* fetchLogTail */.lW)(client, options.namespace, {
            code: problem.code,
            reason: problem.reason,
            pod: problem.pod,
            container: problem.container,
            wantsLogs: true,
            previousLogs: problem.reason.includes(' restarted')
        }).catch(() => undefined)
        : undefined;
    return new errors/* StageError */.Zu(problem.code, `Soak: ${problem.reason}, ${at} into the soak (the release had passed its smoke checks)`, {
        evidence: logTail
            ? [{ title: `Last log lines of ${problem.pod}/${problem.container}`, text: logTail }]
            : []
    });
}


/***/ })

};
