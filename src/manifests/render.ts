/**
 * Renders what teams already keep, before planning: Kustomize overlays (with
 * `kustomize build`, or `kubectl kustomize` when that is what the runner has)
 * and a Helm chart (with `helm template`). The tools run without a shell, with
 * their output captured, never echoed: values may hold secrets.
 */
import { readFile, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { getExecOutput } from '@actions/exec'
import { which } from '@actions/io'
import { StageError } from '../errors.js'
import { redact } from '../redact.js'
import { parseManifestText, withinWorkspace } from './load.js'
import { LIMITS, problemsError, type Problem } from './problems.js'
import { lineIn, readHelmOutput, readKustomizeOutput, refusedHooks } from './rendered.js'
import type { LoadedManifest } from './types.js'

export interface HelmChart {
  /** A chart directory, relative to the workspace. */
  chart: string
  release: string
  namespace: string
  /** Values files, relative to the workspace, in order. */
  values: string[]
  /** `key=value` pairs, each passed as --set. */
  set: string[]
}

export interface RenderRequest {
  /** Kustomize directories (overlays), relative to the workspace. */
  kustomize: string[]
  helm?: HelmChart
}

/** The output a render may print: the same bound as all manifest files together. */
const MAX_OUTPUT = LIMITS.totalBytes

const SETUP = {
  kustomize:
    'GitHub-hosted Ubuntu runners have kustomize and kubectl; on another runner add a step that installs one (for example azure/setup-kubectl), or render in an earlier step and pass the output in manifests',
  helm: 'GitHub-hosted Ubuntu runners have helm; on another runner add a step that installs it (for example azure/setup-helm)'
}

async function inWorkspace(entry: string, workspace: string, what: string, directory: boolean) {
  const workspaceReal = await realpath(workspace)
  const absolute = path.resolve(workspaceReal, entry)
  const real = await realpath(absolute).catch(() => undefined)
  const info = real && (await stat(real))
  if (!real || !info || info.isDirectory() !== directory)
    throw new StageError(
      'InvalidInput',
      `${what} "${entry}" is not a ${directory ? 'directory' : 'file'} in the workspace (${workspaceReal}).`
    )
  if (!withinWorkspace(real, workspaceReal))
    throw new StageError('InvalidInput', `${what} "${entry}" resolves to ${real}, outside the workspace.`)
  return { real, relative: path.relative(workspaceReal, real).split(path.sep).join('/') || '.' }
}

/**
 * Runs a render tool. `values` (helm-set's) may be credentials from the workflow's
 * secrets: the tool's message may repeat them, so they are redacted from it.
 */
async function run(
  tool: string,
  args: string[],
  cwd: string,
  label: string,
  values: readonly string[] = []
): Promise<string> {
  const result = await getExecOutput(tool, args, { cwd, silent: true, ignoreReturnCode: true })
  if (result.exitCode !== 0) {
    const said = redact(
      result.stderr.trim() || result.stdout.trim() || `exit code ${result.exitCode}`,
      values
    )
      .split('\n')
      .slice(0, 20)
      .join('\n')
    throw new StageError('RenderFailed', `${label} failed; nothing was applied: ${said}`)
  }
  if (Buffer.byteLength(result.stdout) > MAX_OUTPUT)
    throw new StageError(
      'RenderFailed',
      `${label} printed more than ${MAX_OUTPUT / 1024 / 1024} MiB (the limit for all manifests together).`
    )
  return result.stdout
}

/** Each file an origin names, read and parsed once; a file that is not a manifest has no lines to give. */
async function writtenIn(workspace: string, files: string[]): Promise<Map<string, LoadedManifest[]>> {
  const unique = [...new Set(files)]
  const parsed = await Promise.all(
    unique.map(file =>
      readFile(path.join(workspace, file), 'utf8')
        .then(text => parseManifestText(text, file).manifests)
        .catch(() => [])
    )
  )
  return new Map(unique.map((file, i) => [file, parsed[i]]))
}

async function renderKustomize(entry: string, workspace: string): Promise<LoadedManifest[]> {
  const dir = await inWorkspace(entry, workspace, 'Kustomize directory', true)
  const kustomize = await which('kustomize', false)
  const kubectl = kustomize ? '' : await which('kubectl', false)
  if (!kustomize && !kubectl)
    throw new StageError(
      'RenderFailed',
      `Rendering ${entry} needs kustomize or kubectl on PATH, and neither is there: ${SETUP.kustomize}.`
    )
  const label = kustomize ? `kustomize build ${dir.relative}` : `kubectl kustomize ${dir.relative}`
  const text = await run(
    kustomize || kubectl,
    kustomize ? ['build', dir.real] : ['kustomize', dir.real],
    workspace,
    label
  )
  const { manifests, problems } = readKustomizeOutput(text, label, dir.relative)
  const origins = manifests.filter(m => m.source.file !== label)
  const written = await writtenIn(
    workspace,
    origins.map(m => m.source.file)
  )
  for (const m of origins) m.source.line = lineIn(written.get(m.source.file) ?? [], m.object) ?? 1
  return checked(manifests, problems)
}

async function renderHelm(helm: HelmChart, workspace: string): Promise<LoadedManifest[]> {
  const chart = await inWorkspace(helm.chart, workspace, 'Helm chart', true)
  const values = await Promise.all(helm.values.map(v => inWorkspace(v, workspace, 'Helm values file', false)))
  const tool = await which('helm', false)
  if (!tool)
    throw new StageError(
      'RenderFailed',
      `Rendering the Helm chart ${helm.chart} needs helm on PATH, and it is not there: ${SETUP.helm}.`
    )
  const label = `helm template ${chart.relative}`
  const args = [
    'template',
    helm.release,
    chart.real,
    '--namespace',
    helm.namespace,
    // Chart tests run with `helm test`; the stage's smoke checks take their place.
    '--skip-tests',
    '--include-crds',
    ...values.flatMap(v => ['--values', v.real]),
    ...helm.set.flatMap(s => ['--set', s])
  ]
  const setValues = helm.set.map(entry => entry.slice(entry.indexOf('=') + 1))
  const text = await run(tool, args, workspace, label, setValues)
  const { manifests, problems } = readHelmOutput(text, label, chart.relative)
  checked(manifests, problems)
  return checked(manifests, refusedHooks(manifests), 'RenderFailed')
}

function checked(
  manifests: LoadedManifest[],
  problems: Problem[],
  code: 'InvalidManifest' | 'RenderFailed' = 'InvalidManifest'
): LoadedManifest[] {
  if (problems.length > 0) throw problemsError(problems, code)
  return manifests
}

/** Every render the stage asks for, in input order: Kustomize directories, then the chart. */
export async function renderManifests(request: RenderRequest, workspace: string): Promise<LoadedManifest[]> {
  const rendered: LoadedManifest[] = []
  for (const entry of request.kustomize) rendered.push(...(await renderKustomize(entry, workspace)))
  if (request.helm) rendered.push(...(await renderHelm(request.helm, workspace)))
  return rendered
}
