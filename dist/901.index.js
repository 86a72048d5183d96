export const id = 901;
export const ids = [901];
export const modules = {

/***/ 1901:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   runCanary: () => (/* binding */ runCanary)
/* harmony export */ });
/* harmony import */ var _manifests_objects_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(186);
/* harmony import */ var _report_log_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(6472);
/* harmony import */ var _plan_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(7990);
/* harmony import */ var _steps_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(1086);
/* harmony import */ var _writes_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(9513);





async function runCanary(stage, held, judges, promote) {
    const { client, config, record } = stage;
    const strategy = {
        name: 'canary',
        deployments: held.map(p => (0,_manifests_objects_js__WEBPACK_IMPORTED_MODULE_0__/* .displayName */ .QC)(p.object)),
        steps: []
    };
    record.strategy = strategy;
    const stable = held.map(p => (0,_plan_js__WEBPACK_IMPORTED_MODULE_4__/* .liveReplicas */ .qD)(p.live));
    const stablePods = (0,_plan_js__WEBPACK_IMPORTED_MODULE_4__/* .sum */ .cz)(stable);
    const copies = [];
    let exposedAt;
    let share = 0;
    try {
        for (const weight of config.canarySteps) {
            const counts = stable.map(n => (0,_plan_js__WEBPACK_IMPORTED_MODULE_4__/* .canaryReplicas */ .Gy)(n, weight));
            const canaryPods = (0,_plan_js__WEBPACK_IMPORTED_MODULE_4__/* .sum */ .cz)(counts);
            const stepShare = (0,_plan_js__WEBPACK_IMPORTED_MODULE_4__/* .podShare */ .Fr)(canaryPods, stablePods);
            await (0,_steps_js__WEBPACK_IMPORTED_MODULE_2__/* .runStep */ .eg)(stage, strategy, { name: `canary ${weight}%`, share: stepShare, pods: { new: canaryPods, stable: stablePods } }, judges, async () => {
                (0,_report_log_js__WEBPACK_IMPORTED_MODULE_1__/* .info */ .p)(`Canary ${weight}%: ${canaryPods} pod(s) of the new version beside ${stablePods} of the stable one, ${(0,_plan_js__WEBPACK_IMPORTED_MODULE_4__/* .formatShare */ .T1)(stepShare)} of the pods the Services select`);
                exposedAt ??= Date.now();
                share = Math.max(share, stepShare);
                const canaries = await Promise.all(held.map(async (p, i) => {
                    const copy = { object: (0,_plan_js__WEBPACK_IMPORTED_MODULE_4__/* .canaryDeployment */ .Yw)(p.object, counts[i]), resource: p.resource };
                    return (copies[i] = await (0,_writes_js__WEBPACK_IMPORTED_MODULE_3__/* .applyCopy */ .GH)(client, copy, config.fieldManager));
                }));
                const pods = await (0,_steps_js__WEBPACK_IMPORTED_MODULE_2__/* .waitForNewPods */ .n)(stage, canaries, `the canary at ${weight}%`);
                return { pods, soakMs: config.soakMs };
            });
        }
        (0,_report_log_js__WEBPACK_IMPORTED_MODULE_1__/* .info */ .p)(`The canary passed ${config.canarySteps.length} step(s): updating ${strategy.deployments.join(', ')}`);
        const applied = await promote(held);
        await (0,_steps_js__WEBPACK_IMPORTED_MODULE_2__/* .waitForNewPods */ .n)(stage, (0,_steps_js__WEBPACK_IMPORTED_MODULE_2__/* .promoted */ .tU)(applied, held), `${strategy.deployments.join(', ')} at the new version`);
        strategy.outcome = 'promoted';
        return applied;
    }
    catch (error) {
        if (!strategy.outcome && strategy.steps.some(s => !s.passed))
            strategy.outcome = 'stopped';
        throw error;
    }
    finally {
        if (copies.some(Boolean)) {
            await (0,_steps_js__WEBPACK_IMPORTED_MODULE_2__/* .removeStrategyCopies */ .Jg)(stage, copies.filter(Boolean), 'the canary');
            if (strategy.outcome === 'stopped' && exposedAt !== undefined)
                strategy.exposure = { share, ms: Date.now() - exposedAt };
        }
    }
}


/***/ }),

/***/ 1086:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Jg: () => (/* binding */ removeStrategyCopies),
/* harmony export */   eg: () => (/* binding */ runStep),
/* harmony export */   n: () => (/* binding */ waitForNewPods),
/* harmony export */   tU: () => (/* binding */ promoted)
/* harmony export */ });
/* harmony import */ var _actions_core__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7264);
/* harmony import */ var _duration_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(7607);
/* harmony import */ var _kube_wait_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(9653);
/* harmony import */ var _report_log_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(6472);
/* harmony import */ var _stage_context_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(1393);
/* harmony import */ var _stage_verify_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(650);
/* harmony import */ var _writes_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(9513);
/* harmony import */ var _manifests_objects_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(186);
/**
 * What canary and blue-green steps share: waiting for the new version's pods
 * (with the stage's deadline and its verdicts), judging them with the stage's
 * smoke checks, soak and analysis, and writing each step into the record.
 */








/** Waits until the copies (or the promoted Deployments) are ready; their rolled-out pods. */
async function waitForNewPods(stage, targets, what) {
    const { client, config } = stage;
    const outcome = await _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .group */ .Os(`Waiting up to ${(0,_duration_js__WEBPACK_IMPORTED_MODULE_1__/* .formatDuration */ .a)(config.timeoutMs)} for ${what}`, () => (0,_kube_wait_js__WEBPACK_IMPORTED_MODULE_2__/* .waitForReadiness */ .f)(client, [...targets], {
        timeoutMs: config.timeoutMs,
        waitForLoadBalancer: false,
        unschedulableGraceMs: config.unschedulableGraceMs,
        log: line => (0,_report_log_js__WEBPACK_IMPORTED_MODULE_3__/* .info */ .p)(line)
    }));
    if (outcome.state !== 'Current')
        throw (0,_stage_verify_js__WEBPACK_IMPORTED_MODULE_5__/* .waitFailure */ .MG)(outcome, config);
    return (0,_stage_verify_js__WEBPACK_IMPORTED_MODULE_5__/* .rolledOut */ .Tj)(outcome);
}
/**
 * Runs one step: `prepare` brings the new version to where the step judges it and returns
 * its pods and how they are judged; the step is recorded as it goes, so a failure says
 * which step it was.
 */
async function runStep(stage, strategy, step, judges, prepare) {
    const entry = { ...step, startedAt: Date.now(), durationMs: 0, passed: false };
    strategy.steps.push(entry);
    try {
        const judging = await prepare();
        const { record } = stage;
        record.analysis = undefined;
        await (0,_stage_verify_js__WEBPACK_IMPORTED_MODULE_5__/* .judge */ .S4)(stage, judges, judging);
        entry.passed = true;
        (0,_report_log_js__WEBPACK_IMPORTED_MODULE_3__/* .info */ .p)(`${entry.name}: passed after ${(0,_duration_js__WEBPACK_IMPORTED_MODULE_1__/* .formatDuration */ .a)(Date.now() - entry.startedAt)}`);
    }
    catch (error) {
        entry.failure = error.message;
        throw error;
    }
    finally {
        entry.durationMs = Date.now() - entry.startedAt;
        // What the step measured, passed or not: the next stage (and a reader) sees why it stopped.
        const measured = (stage.record.analysis ?? []).filter(r => r.value !== undefined);
        if (measured.length > 0)
            entry.analysis = Object.fromEntries(measured.map(r => [r.name, r.value]));
    }
}
/** The promoted Deployments as applied, each with its resource, to wait for. */
function promoted(applied, held) {
    return applied.map(a => ({
        object: a.object,
        resource: held.find(p => (0,_manifests_objects_js__WEBPACK_IMPORTED_MODULE_7__/* .objectKey */ .T5)(p.object) === (0,_manifests_objects_js__WEBPACK_IMPORTED_MODULE_7__/* .objectKey */ .T5)(a.object)).resource
    }));
}
/** Removes the strategy's copies; one that stays is a warning (it would keep serving), never the stage's failure. */
async function removeStrategyCopies(stage, copies, what) {
    const names = copies.map(c => (0,_manifests_objects_js__WEBPACK_IMPORTED_MODULE_7__/* .displayName */ .QC)(c.object)).join(', ');
    const left = await (0,_writes_js__WEBPACK_IMPORTED_MODULE_6__/* .removeCopies */ .wR)(stage.client, copies, line => (0,_report_log_js__WEBPACK_IMPORTED_MODULE_3__/* .info */ .p)(line)).catch((error) => [
        `${names} (${error.message})`
    ]);
    if (left.length > 0)
        (0,_stage_context_js__WEBPACK_IMPORTED_MODULE_4__/* .warn */ .R8)(stage.record, `${what.replace(/^./, c => c.toUpperCase())} could not be removed: ${left.join(', ')}; delete it, or it keeps running the new version.`);
    else
        (0,_report_log_js__WEBPACK_IMPORTED_MODULE_3__/* .info */ .p)(`Removed ${what}: ${names}`);
}


/***/ }),

/***/ 9513:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Bg: () => (/* binding */ SERVICES),
/* harmony export */   DD: () => (/* binding */ listWorkloads),
/* harmony export */   GH: () => (/* binding */ applyCopy),
/* harmony export */   TD: () => (/* binding */ listServices),
/* harmony export */   cf: () => (/* binding */ switchSelector),
/* harmony export */   wR: () => (/* binding */ removeCopies)
/* harmony export */ });
/* harmony import */ var _kube_apply_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3139);
/* harmony import */ var _kube_applyset_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(9445);
/* harmony import */ var _kube_paths_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(5541);
/* harmony import */ var _plan_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(7990);




const SERVICES = { name: 'services', kind: 'Service', namespaced: true, verbs: [] };
/** A copy's pods go in a few seconds; one that hangs (a finalizer) must not hold the stage. */
const REMOVE_TIMEOUT_MS = 60_000;
/** Applies a copy; returns it as stored (with its uid, for its removal). */
async function applyCopy(client, copy, fieldManager) {
    const response = await (0,_kube_apply_js__WEBPACK_IMPORTED_MODULE_0__/* .serverSideApply */ .jY)(client, copy.object, copy.resource, { fieldManager, force: true }, false);
    return { object: response.body, resource: copy.resource };
}
/**
 * Removes copies, dependents first (a Deployment goes once its pods are gone, so no
 * Service sends them traffic any more); returns the names of those still there after a minute.
 */
async function removeCopies(client, copies, log) {
    const members = copies.map(c => ({
        object: c.object,
        type: { groupKind: c.object.kind, apiVersion: c.object.apiVersion, resource: c.resource }
    }));
    const deleted = await Promise.all(members.map(m => (0,_kube_applyset_js__WEBPACK_IMPORTED_MODULE_1__/* .deleteMember */ .cx)(client, m)));
    const left = await (0,_kube_applyset_js__WEBPACK_IMPORTED_MODULE_1__/* .waitUntilGone */ .Ly)(client, members.filter((_, i) => deleted[i] === 'deleted'), REMOVE_TIMEOUT_MS, log);
    return left.map(m => `${m.object.kind}/${m.object.metadata.name}`);
}
async function list(client, apiVersion, resource, namespace) {
    const items = (await client.getJson((0,_kube_paths_js__WEBPACK_IMPORTED_MODULE_2__/* .collectionPath */ .yb)(apiVersion, resource, namespace))).items;
    return (items ?? []).map(item => ({ ...item, apiVersion, kind: resource.kind }));
}
const listServices = (client, namespace) => list(client, 'v1', SERVICES, namespace);
const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet'].map(kind => ({
    name: `${kind.toLowerCase()}s`,
    kind,
    namespaced: true,
    verbs: []
}));
/** The namespace's Deployments, StatefulSets and DaemonSets: whose pods a Service may also select. */
async function listWorkloads(client, namespace) {
    return (await Promise.all(WORKLOADS.map(r => list(client, 'apps/v1', r, namespace)))).flat();
}
/** Makes a live Service that selects `from` select exactly `to`; `remember`: keep `from` on it (the switch). */
async function switchSelector(client, service, from, to, fieldManager, remember) {
    const path = (0,_kube_paths_js__WEBPACK_IMPORTED_MODULE_2__/* .objectPath */ .du)('v1', SERVICES, service.metadata.namespace, service.metadata.name);
    await client.send('PATCH', (0,_kube_paths_js__WEBPACK_IMPORTED_MODULE_2__/* .withQuery */ .VL)(path, { fieldManager: `${fieldManager}-switch` }), (0,_plan_js__WEBPACK_IMPORTED_MODULE_3__/* .selectorPatch */ .MK)(from, to, remember), 'application/merge-patch+json');
}


/***/ })

};
