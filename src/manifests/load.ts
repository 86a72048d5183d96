/**
 * Loads the `manifests` input: files, directories (recursive) and globs,
 * confined to the workspace; multi-document YAML and JSON, `kind: List`
 * flattened, empty documents skipped. Every problem is reported with its file
 * and line, all of them at once.
 */
import { glob, readdir, readFile, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { LineCounter, parseAllDocuments, isMap, isSeq, type Document, type Node } from 'yaml'
import { StageError } from '../errors.js'
import { LIMITS, duplicates, problemsError, type Problem } from './problems.js'
import type { KubeObject, LoadedManifest, SourceLocation } from './types.js'

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json'])

export { LIMITS } from './problems.js'

/** The input's entries: separated by newlines or commas, trimmed, blanks dropped. */
export function parseManifestEntries(input: string): string[] {
  return input
    .split(/[\n,]/)
    .map(entry => entry.trim())
    .filter(Boolean)
}

function isGlob(entry: string): boolean {
  return /[*?[\]{}]/.test(entry)
}

/** Whether a real path is the workspace or under it (both already resolved by realpath). */
export function withinWorkspace(real: string, workspaceReal: string): boolean {
  return real === workspaceReal || real.startsWith(workspaceReal + path.sep)
}

async function confined(file: string, workspaceReal: string, entry: string): Promise<string> {
  const real = await realpath(file)
  if (!withinWorkspace(real, workspaceReal)) {
    throw new StageError(
      'InvalidInput',
      `Manifest entry "${entry}" resolves to ${real}, outside the workspace ${workspaceReal}.`
    )
  }
  return real
}

/**
 * Manifest files under a directory, sorted, recursing into subdirectories and
 * into symlinked ones too (each checked to stay inside the workspace, each
 * real directory visited once so a link cycle ends).
 */
async function filesUnder(
  dir: string,
  workspaceReal: string,
  entry: string,
  visited = new Set<string>()
): Promise<string[]> {
  const real = await confined(dir, workspaceReal, entry)
  if (visited.has(real)) return []
  visited.add(real)
  const found: string[] = []
  for (const dirent of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name)
  )) {
    const full = path.join(dir, dirent.name)
    const isDirectory = dirent.isSymbolicLink()
      ? (await stat(full).catch(() => undefined))?.isDirectory()
      : dirent.isDirectory()
    if (isDirectory) found.push(...(await filesUnder(full, workspaceReal, entry, visited)))
    else if (MANIFEST_EXTENSIONS.has(path.extname(dirent.name).toLowerCase())) found.push(full)
  }
  return found
}

/** The files that make a directory a Kustomize one (kustomize's own names). */
const KUSTOMIZATION_FILES = new Set(['kustomization.yaml', 'kustomization.yml', 'kustomization'])
const isKustomization = (file: string) => KUSTOMIZATION_FILES.has(path.basename(file).toLowerCase())

/**
 * A Kustomize directory given to `manifests`: its files are kustomize's inputs (patches, a
 * kustomization), not manifests to apply as they are, and would fail as "missing metadata".
 */
export function kustomizeDirectoryError(entry: string, kustomization: string): StageError {
  const dir = path.dirname(kustomization) || '.'
  return new StageError(
    'InvalidInput',
    `Manifest entry "${entry}" is a Kustomize directory (${kustomization}): its files are kustomize's inputs, not manifests to apply as they are. Give it to the kustomize input instead (kustomize: ${dir}).`
  )
}

const isFile = async (file: string) => (await stat(file).catch(() => undefined))?.isFile() ?? false

/** Files named by the entries, each once, in entry order. */
export async function resolveManifestFiles(entries: string[], workspace: string): Promise<string[]> {
  const workspaceReal = await realpath(workspace)
  const files: string[] = []
  const seen = new Set<string>()
  for (const entry of entries) {
    let candidates: string[]
    if (isGlob(entry)) {
      // Checked before walking: /**/*.yaml would walk the whole filesystem first.
      if (path.isAbsolute(entry) || entry.split(/[\\/]/).includes('..'))
        throw new StageError(
          'InvalidInput',
          `Manifest entry "${entry}" is a glob outside the workspace: write it relative to the workspace, without "..".`
        )
      candidates = []
      for await (const match of glob(entry, { cwd: workspaceReal })) {
        candidates.push(path.resolve(workspaceReal, match))
        if (candidates.length > LIMITS.files * 4) break
      }
      candidates = candidates.filter(f => MANIFEST_EXTENSIONS.has(path.extname(f).toLowerCase()))
      // A directory named like a manifest (k8s.yaml/) is not one.
      const regular = await Promise.all(candidates.map(isFile))
      candidates = candidates.filter((_, i) => regular[i]).sort()
    } else {
      const absolute = path.resolve(workspaceReal, entry)
      const info = await stat(absolute).catch(() => undefined)
      if (!info)
        throw new StageError(
          'InvalidInput',
          `Manifest entry "${entry}" does not exist in the workspace (${workspaceReal}).`
        )
      candidates = info.isDirectory() ? await filesUnder(absolute, workspaceReal, entry) : [absolute]
    }
    if (candidates.length === 0) {
      throw new StageError('InvalidInput', `Manifest entry "${entry}" matches no .yaml, .yml or .json file.`)
    }
    const kustomization = candidates.find(isKustomization)
    if (kustomization) throw kustomizeDirectoryError(entry, path.relative(workspaceReal, kustomization))
    for (const candidate of candidates) {
      const real = await confined(candidate, workspaceReal, entry)
      if (!seen.has(real)) {
        seen.add(real)
        files.push(real)
      }
      if (files.length > LIMITS.files)
        throw new StageError(
          'InvalidInput',
          `The manifests input matches more than ${LIMITS.files} files (the limit); name the directories of this stage only.`
        )
    }
  }
  return files
}

function lineOf(node: Node | null | undefined, counter: LineCounter): number {
  const offset = node?.range?.[0]
  return offset === undefined ? 1 : counter.linePos(offset).line
}

function checkShape(value: unknown, location: SourceLocation): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return 'a manifest document must be a mapping (an object)'
  const object = value as Partial<KubeObject>
  if (typeof object.apiVersion !== 'string' || !object.apiVersion) return 'missing apiVersion'
  if (typeof object.kind !== 'string' || !object.kind) return 'missing kind'
  const metadata = object.metadata as KubeObject['metadata'] | undefined
  if (!metadata || typeof metadata !== 'object') return `${object.kind}: missing metadata`
  if (typeof metadata.name !== 'string' || !metadata.name) {
    return metadata.generateName
      ? `${object.kind}: metadata.generateName cannot be applied (server-side apply needs a fixed name)`
      : `${object.kind}: missing metadata.name`
  }
  void location
  return undefined
}

/** Parses one file's text into objects; problems are collected, not thrown. Pure. */
export function parseManifestText(
  text: string,
  file: string
): { manifests: LoadedManifest[]; problems: Problem[] } {
  const counter = new LineCounter()
  const documents: Document.Parsed[] = parseAllDocuments(text, {
    lineCounter: counter,
    prettyErrors: false
  }) as Document.Parsed[]
  const manifests: LoadedManifest[] = []
  const problems: Problem[] = []
  for (const document of documents) {
    if (document.errors.length > 0) {
      for (const error of document.errors) {
        const position = counter.linePos(error.pos[0])
        problems.push({
          location: { file, line: position.line, column: position.col },
          message: error.message.split('\n')[0]
        })
      }
      continue
    }
    const contents = document.contents
    const location = { file, line: lineOf(contents, counter) }
    let value: unknown
    try {
      value = document.toJS({ maxAliasCount: 100 })
    } catch (error) {
      // An alias bomb (a billion laughs) or another document that cannot become data.
      problems.push({ location, message: (error as Error).message.split('\n')[0] })
      continue
    }
    if (contents === null || value === null) continue
    // Only the core API's lists (List, ConfigMapList...): a custom resource may be a kind ending in List with items.
    const isList =
      isMap(contents) &&
      (value as KubeObject).apiVersion === 'v1' &&
      typeof (value as KubeObject).kind === 'string' &&
      (value as KubeObject).kind.endsWith('List') &&
      Array.isArray((value as { items?: unknown }).items)
    if (isList) {
      const itemsNode = contents.get('items', true)
      ;((value as { items: unknown[] }).items ?? []).forEach((item, index) => {
        const itemLine = isSeq(itemsNode) ? lineOf(itemsNode.items[index] as Node, counter) : location.line
        const itemLocation = { file, line: itemLine }
        const problem = checkShape(item, itemLocation)
        if (problem) problems.push({ location: itemLocation, message: problem })
        else manifests.push({ object: item as KubeObject, source: itemLocation })
      })
      continue
    }
    const problem = checkShape(value, location)
    if (problem) problems.push({ location, message: problem })
    else manifests.push({ object: value as KubeObject, source: location })
  }
  return { manifests, problems }
}

export async function loadManifests(entries: string[], workspace: string): Promise<LoadedManifest[]> {
  if (entries.length === 0)
    throw new StageError('InvalidInput', 'Input manifests names no file, directory or glob.')
  const files = await resolveManifestFiles(entries, workspace)
  const workspaceReal = await realpath(workspace)
  const manifests: LoadedManifest[] = []
  const problems: Problem[] = []
  let total = 0
  for (const file of files) {
    const relative = path.relative(workspaceReal, file)
    const size = (await stat(file)).size
    total += size
    if (size > LIMITS.fileBytes || total > LIMITS.totalBytes)
      throw new StageError(
        'InvalidManifest',
        size > LIMITS.fileBytes
          ? `${relative} is ${Math.round(size / 1024 / 1024)} MiB, more than the ${LIMITS.fileBytes / 1024 / 1024} MiB a manifest file may have.`
          : `The manifests add up to more than ${LIMITS.totalBytes / 1024 / 1024} MiB (the limit), at ${relative}.`,
        { location: { file: relative } }
      )
    const bytes = await readFile(file)
    if (bytes.includes(0)) {
      problems.push({
        location: { file: relative, line: 1 },
        message: 'not a text file (it holds NUL bytes)'
      })
      continue
    }
    const parsed = parseManifestText(bytes.toString('utf8'), relative)
    manifests.push(...parsed.manifests)
    problems.push(...parsed.problems)
    if (manifests.length > LIMITS.objects)
      throw new StageError(
        'InvalidManifest',
        `The manifests hold more than ${LIMITS.objects} objects (the limit), at ${relative}: split the stage.`,
        { location: { file: relative } }
      )
  }
  problems.push(...duplicates(manifests))
  if (problems.length > 0) throw problemsError(problems)
  if (manifests.length === 0)
    throw new StageError('InvalidManifest', `The manifests (${entries.join(', ')}) contain no object.`)
  return manifests
}
