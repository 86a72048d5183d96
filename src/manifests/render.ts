/**
 * Renders what teams already keep, before planning: Kustomize overlays (with
 * `kustomize build`, or `kubectl kustomize` when that is what the runner has)
 * and a Helm chart (with `helm template`). The tools run without a shell, with
 * their output captured, never echoed: values may hold secrets. In plan mode
 * they render a pull request's files, so they run with an allow-listed
 * environment (render-env.ts) in a tree without links out of the workspace
 * (render-links.ts), and all they say is redacted against every credential and
 * every helm value.
 */
import { mkdtemp, readFile, realpath, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parse } from 'yaml'
import { getExecOutput } from '@actions/exec'
import { which } from '@actions/io'
import { StageError } from '../errors.js'
import { redact } from '../redact.js'
import { parseManifestText, withinWorkspace } from './load.js'
import { LIMITS, problemsError, type Problem } from './problems.js'
import { renderEnvironment } from './render-env.js'
import { checkChartLinks, checkKustomizeLinks } from './render-links.js'
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
  /** Names of environment variables the tools may read (render-env); they get no others. */
  env: readonly string[]
  /** The stage's credentials: redacted, with every helm value, from all a tool says. */
  secrets: readonly string[]
}

/** Rendered objects, and the helm values, which the plan redacts like credentials. */
export interface RenderResult {
  manifests: LoadedManifest[]
  values: string[]
}

/** The context every render runs in. */
interface Tools {
  workspace: string
  env: Record<string, string>
  secrets: readonly string[]
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

/** Runs a render tool with the allow-listed environment; all it says is redacted. */
async function run(tool: string, args: string[], tools: Tools, label: string): Promise<string> {
  const result = await getExecOutput(tool, args, {
    cwd: tools.workspace,
    env: tools.env,
    silent: true,
    ignoreReturnCode: true
  })
  if (result.exitCode !== 0) {
    const said = redact(
      result.stderr.trim() || result.stdout.trim() || `exit code ${result.exitCode}`,
      tools.secrets
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
  const workspaceReal = await realpath(workspace)
  // The origin annotation is the render's output: a path out of the workspace is never read.
  const readConfined = async (file: string) => {
    const real = await realpath(path.join(workspaceReal, file))
    if (!withinWorkspace(real, workspaceReal)) return []
    return parseManifestText(await readFile(real, 'utf8'), file).manifests
  }
  const parsed = await Promise.all(unique.map(file => readConfined(file).catch(() => [])))
  return new Map(unique.map((file, i) => [file, parsed[i]]))
}

async function renderKustomize(entry: string, tools: Tools): Promise<LoadedManifest[]> {
  const workspace = tools.workspace
  const dir = await inWorkspace(entry, workspace, 'Kustomize directory', true)
  await checkKustomizeLinks(dir.real, workspace, `The Kustomize tree of ${dir.relative}`)
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
    tools,
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

/** `valuesFiles`: helm.values, already confined to the workspace (readHelmValues). */
async function renderHelm(
  helm: HelmChart,
  valuesFiles: readonly { real: string }[],
  tools: Tools
): Promise<LoadedManifest[]> {
  const workspace = tools.workspace
  const chart = await inWorkspace(helm.chart, workspace, 'Helm chart', true)
  await checkChartLinks(chart.real, workspace, `The Helm chart ${chart.relative}`)
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
    ...valuesFiles.flatMap(v => ['--values', v.real]),
    ...helm.set.flatMap(s => ['--set', s])
  ]
  const text = await run(tool, args, tools, label)
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

/**
 * The values of helm-set entries (`a=1,b.c=x`, `list={x,y}`), each part alone
 * and the whole right-hand side. Pure.
 */
export function helmSetValues(set: readonly string[]): string[] {
  const values: string[] = []
  for (const entry of set) {
    values.push(entry.slice(entry.indexOf('=') + 1))
    for (const pair of entry.split(/(?<!\\),/)) {
      const value = pair.includes('=') ? pair.slice(pair.indexOf('=') + 1) : pair
      values.push(value, ...value.replace(/^\{|\}$/g, '').split(','))
    }
  }
  return values.filter(v => v.length > 0)
}

/** A values file's strings this long or longer are redacted; shorter ones are too common to blank out. */
export const HELM_VALUE_MIN_REDACTED = 8

/** Every string of a values file (at any depth) as long as HELM_VALUE_MIN_REDACTED. Pure. */
export function helmFileValues(text: string): string[] {
  const values: string[] = []
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      if (value.length >= HELM_VALUE_MIN_REDACTED) values.push(value)
    } else if (Array.isArray(value)) value.forEach(visit)
    else if (value && typeof value === 'object') Object.values(value).forEach(visit)
  }
  try {
    visit(parse(text))
  } catch {
    // helm says what is wrong with the file.
  }
  return values
}

/** The values files, confined to the workspace, and every helm value (set and files), to redact. */
async function readHelmValues(
  helm: HelmChart,
  workspace: string
): Promise<{ files: { real: string }[]; values: string[] }> {
  const files = await Promise.all(helm.values.map(v => inWorkspace(v, workspace, 'Helm values file', false)))
  const inFiles = await Promise.all(files.map(async f => helmFileValues(await readFile(f.real, 'utf8'))))
  return { files, values: [...helmSetValues(helm.set), ...inFiles.flat()] }
}

/** A render's failure, with every credential and helm value redacted from all it says. */
function redactedError(error: unknown, secrets: readonly string[]): unknown {
  if (!(error instanceof StageError)) return error
  return new StageError(error.code, redact(error.message, secrets), {
    location: error.location,
    details: error.details.map(d => redact(d, secrets)),
    evidence: error.evidence.map(e => ({ title: e.title, text: redact(e.text, secrets) }))
  })
}

/** Every render the stage asks for, in input order: Kustomize directories, then the chart. */
export async function renderManifests(request: RenderRequest, workspace: string): Promise<RenderResult> {
  if (request.kustomize.length === 0 && !request.helm) return { manifests: [], values: [] }
  const helmValues = request.helm ? await readHelmValues(request.helm, workspace) : undefined
  const values = helmValues?.values ?? []
  const secrets = [...request.secrets, ...values]
  const home = await mkdtemp(path.join(tmpdir(), 'kube-stage-render-'))
  const tools: Tools = {
    workspace,
    env: renderEnvironment(process.env, request.env, { home, tmp: home }),
    secrets
  }
  try {
    const rendered: LoadedManifest[] = []
    for (const entry of request.kustomize) rendered.push(...(await renderKustomize(entry, tools)))
    if (request.helm && helmValues)
      rendered.push(...(await renderHelm(request.helm, helmValues.files, tools)))
    return { manifests: rendered, values }
  } catch (error) {
    throw redactedError(error, secrets)
  } finally {
    await rm(home, { recursive: true, force: true })
  }
}
