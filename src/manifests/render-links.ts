/**
 * Before a chart or an overlay is rendered: every symbolic link in it must
 * resolve inside the workspace, and outside its `.git` directory. Helm's chart
 * loader follows links and only warns ("Contents of linked file included and
 * used"), so a pull request's `files/env -> /proc/self/environ` would put the
 * runner's environment into a template; a link into `.git` would reach the
 * token actions/checkout keeps in `.git/config`. A Kustomize tree is every
 * directory its kustomization files name, followed transitively.
 */
import { lstat, readdir, readFile, realpath } from 'node:fs/promises'
import path from 'node:path'
import { parse } from 'yaml'
import { StageError } from '../errors.js'
import { withinWorkspace } from './load.js'

/** A tree larger than this is refused rather than walked for minutes (documented in the README). */
export const MAX_RENDER_TREE_ENTRIES = 20_000

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization']

interface Walk {
  workspace: string
  gitDir: string
  what: string
  /** Directories walked, and directories whose kustomization was read (real paths). */
  seen: Set<string>
  kustomizations: Set<string>
  entries: number
}

function refuse(walk: Walk, link: string, target: string, why: string): never {
  const shown = path.relative(walk.workspace, link).split(path.sep).join('/')
  throw new StageError(
    'RenderFailed',
    `${walk.what} holds a symbolic link ${shown} that resolves to ${target}, ${why}; nothing was rendered or applied. Renderers read only files of the workspace: replace the link with the file itself.`
  )
}

/** Checks one link's target; returns it when it is a directory to walk as well. */
async function checkLink(walk: Walk, link: string): Promise<string | undefined> {
  const target = await realpath(link).catch(() => undefined)
  // A dangling link reads nothing.
  if (!target) return undefined
  if (!withinWorkspace(target, walk.workspace)) refuse(walk, link, target, 'outside the workspace')
  if (withinWorkspace(target, walk.gitDir))
    refuse(walk, link, target, "inside the repository's .git directory")
  return (await lstat(target)).isDirectory() ? target : undefined
}

/** Every entry under `dir` (links to directories inside the workspace followed once). */
async function walkTree(walk: Walk, dir: string): Promise<void> {
  const real = await realpath(dir)
  if (walk.seen.has(real)) return
  walk.seen.add(real)
  const entries = await readdir(dir, { withFileTypes: true })
  walk.entries += entries.length
  if (walk.entries > MAX_RENDER_TREE_ENTRIES)
    throw new StageError(
      'RenderFailed',
      `${walk.what} has more than ${MAX_RENDER_TREE_ENTRIES} files and directories to check before rendering; render a smaller tree.`
    )
  for (const entry of entries) {
    const full = path.join(dir, entry.name)
    if (entry.isSymbolicLink()) {
      const linkedDir = await checkLink(walk, full)
      if (linkedDir) await walkTree(walk, linkedDir)
    } else if (entry.isDirectory()) await walkTree(walk, full)
  }
}

/** Every string in a parsed kustomization, wherever it sits: each may name a file or directory. */
function strings(value: unknown, into: string[] = []): string[] {
  if (typeof value === 'string') into.push(value)
  else if (Array.isArray(value)) for (const item of value) strings(item, into)
  else if (value && typeof value === 'object') for (const item of Object.values(value)) strings(item, into)
  return into
}

async function kustomizationIn(dir: string): Promise<unknown> {
  for (const name of KUSTOMIZATION_FILES) {
    const text = await readFile(path.join(dir, name), 'utf8').catch(() => undefined)
    if (text === undefined) continue
    try {
      return parse(text)
    } catch {
      // kustomize says what is wrong with it.
      return undefined
    }
  }
  return undefined
}

/** The overlay's directory, and every local file or directory its kustomizations name, transitively. */
async function walkKustomization(walk: Walk, dir: string): Promise<void> {
  const real = await realpath(dir)
  if (walk.kustomizations.has(real)) return
  walk.kustomizations.add(real)
  await walkTree(walk, dir)
  for (const named of strings(await kustomizationIn(dir))) {
    // Remote bases and URLs are fetched by kustomize, not read from the disk.
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(named) || named.includes('\n')) continue
    const full = path.resolve(dir, named)
    const info = await lstat(full).catch(() => undefined)
    if (!info) continue
    if (info.isSymbolicLink()) {
      const linkedDir = await checkLink(walk, full)
      if (linkedDir) await walkKustomization(walk, linkedDir)
    } else if (info.isDirectory() && withinWorkspace(full, walk.workspace)) {
      await walkKustomization(walk, full)
    }
  }
}

async function newWalk(workspace: string, what: string): Promise<Walk> {
  const real = await realpath(workspace)
  return {
    workspace: real,
    gitDir: path.join(real, '.git'),
    what,
    seen: new Set(),
    kustomizations: new Set(),
    entries: 0
  }
}

/** Refuses a chart directory holding a link that leaves the workspace or enters .git. */
export async function checkChartLinks(chartDir: string, workspace: string, what: string): Promise<void> {
  await walkTree(await newWalk(workspace, what), chartDir)
}

/** Refuses a Kustomize tree (the overlay and all it names) holding such a link. */
export async function checkKustomizeLinks(
  overlayDir: string,
  workspace: string,
  what: string
): Promise<void> {
  await walkKustomization(await newWalk(workspace, what), overlayDir)
}
