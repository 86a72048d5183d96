/**
 * What `kustomize build` and `helm template` print, read back as manifests that
 * say where each object came from: Kustomize's origin annotation (with
 * `buildMetadata: [originAnnotations]`) and Helm's `# Source:` comments name the
 * file an object was written in. Pure.
 */
import path from 'node:path'
import { parse } from 'yaml'
import { parseManifestText } from './load.js'
import type { Problem } from './problems.js'
import type { KubeObject, LoadedManifest } from './types.js'

/** Kustomize's build metadata: it differs per overlay and is no part of the object. */
export const KUSTOMIZE_ORIGIN = 'config.kubernetes.io/origin'

function dropAnnotation(object: KubeObject, name: string): void {
  const annotations = object.metadata.annotations
  if (!annotations || !(name in annotations)) return
  delete annotations[name]
  if (Object.keys(annotations).length === 0) delete object.metadata.annotations
}

/**
 * `kustomize build <dir>` output. `label` names the render in locations of
 * problems in the output itself; `dir` is the overlay, relative to the
 * workspace, which origin paths are relative to.
 */
export function readKustomizeOutput(
  text: string,
  label: string,
  dir: string
): { manifests: LoadedManifest[]; problems: Problem[] } {
  const { manifests, problems } = parseManifestText(text, label)
  for (const manifest of manifests) {
    const origin = manifest.object.metadata.annotations?.[KUSTOMIZE_ORIGIN]
    dropAnnotation(manifest.object, KUSTOMIZE_ORIGIN)
    const written = originFile(origin)
    if (!written) continue
    const file = path.posix.normalize(path.posix.join(dir, written))
    // Origins are relative to the workspace; one that climbs out of it names no file of ours.
    if (file === '..' || file.startsWith('../')) continue
    // The line is found once the file is read (lineIn).
    manifest.source = { file, line: 1 }
  }
  return { manifests, problems }
}

/**
 * The line of `object` among the objects of the file it was written in: by kind
 * and name, or by a name the overlay's prefix or suffix was added to.
 */
export function lineIn(written: readonly LoadedManifest[], object: KubeObject): number | undefined {
  const sameKind = written.filter(m => m.object.kind === object.kind)
  const match =
    sameKind.find(m => m.object.metadata.name === object.metadata.name) ??
    sameKind.find(m => object.metadata.name.includes(m.object.metadata.name))
  return match?.source.line
}

/** The file an origin annotation names: `path:` for a resource, `configuredIn:` for a generated one. */
function originFile(origin: string | undefined): string | undefined {
  if (!origin) return undefined
  try {
    const value = parse(origin) as { path?: unknown; configuredIn?: unknown; repo?: unknown } | null
    // A remote resource (repo:) is not in the workspace.
    if (!value || value.repo !== undefined) return undefined
    const file = typeof value.path === 'string' ? value.path : value.configuredIn
    return typeof file === 'string' && file ? file.replaceAll('\\', '/') : undefined
  } catch {
    return undefined
  }
}

/**
 * `helm template` output: each document follows a `# Source: <chart>/templates/<file>`
 * comment, which is mapped to the template under `chartDir` (relative to the workspace).
 * Templates are not manifests, so locations name the file and line 1.
 */
export function readHelmOutput(
  text: string,
  label: string,
  chartDir: string
): { manifests: LoadedManifest[]; problems: Problem[] } {
  const { manifests, problems } = parseManifestText(text, label)
  const sources = helmSources(text)
  for (const manifest of manifests) {
    const source = sources.findLast(s => s.line <= manifest.source.line)
    if (!source) continue
    manifest.source = { file: path.posix.join(chartDir, source.file), line: 1 }
  }
  for (const problem of problems) {
    const source = sources.findLast(s => s.line <= problem.location.line)
    if (source)
      problem.message = `${problem.message} (rendered from ${path.posix.join(chartDir, source.file)})`
  }
  return { manifests, problems }
}

/** `# Source: shop/templates/deployment.yaml` lines, with the chart's own name taken off. */
function helmSources(text: string): { line: number; file: string }[] {
  const sources: { line: number; file: string }[] = []
  text.split('\n').forEach((line, index) => {
    const match = /^# Source: [^/]+\/(.+?)\s*$/.exec(line)
    // A subchart's template (charts/db/templates/...) is under the chart's own charts/ directory.
    if (match) sources.push({ line: index + 1, file: match[1] })
  })
  return sources
}

// Hook rules live in hooks.ts; render.ts and older callers import them from here.
export { helmHooks, isPreDeployHook, refusedHooks, HELM_HOOK } from './hooks.js'
