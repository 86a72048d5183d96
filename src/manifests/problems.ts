/**
 * The limits on what a stage loads, and the problems found in it, reported all
 * at once: one error, the first problem annotated at its file and line. Pure.
 */
import { StageError } from '../errors.js'
import { displayName, objectKey } from './objects.js'
import type { LoadedManifest, SourceLocation } from './types.js'

/** Limits on the input (README, "Limits"): a stage is not a bulk loader, and its runner has a heap. */
export const LIMITS = {
  /** Bytes of one manifest file. */
  fileBytes: 8 * 1024 * 1024,
  /** Bytes of all manifest files together. */
  totalBytes: 32 * 1024 * 1024,
  /** Files matched by all entries together. */
  files: 5_000,
  /** Objects in all files together. */
  objects: 5_000,
  /** Problems listed one by one; the rest are counted. */
  problemsShown: 20
}

export interface Problem {
  location: SourceLocation & { column?: number }
  message: string
}

/** One error for every problem found, the first annotated at its file and line. */
export function problemsError(
  problems: Problem[],
  code: 'InvalidManifest' | 'RenderFailed' = 'InvalidManifest'
): StageError {
  const lines = problems
    .slice(0, LIMITS.problemsShown)
    .map(p => `${p.location.file}:${p.location.line}: ${p.message.slice(0, 300)}`)
  if (problems.length > LIMITS.problemsShown)
    lines.push(`... and ${problems.length - LIMITS.problemsShown} more`)
  return new StageError(
    code,
    problems.length === 1 ? lines[0] : `${problems.length} problems in the manifests, the first: ${lines[0]}`,
    { location: problems[0].location, details: problems.length === 1 ? [] : lines }
  )
}

/** Plain and rendered manifests together: an object defined in both is refused like one defined twice in a file. */
export function combineManifests(...sets: LoadedManifest[][]): LoadedManifest[] {
  const manifests = sets.flat()
  const problems = duplicates(manifests)
  if (problems.length > 0) throw problemsError(problems)
  if (manifests.length > LIMITS.objects)
    throw new StageError(
      'InvalidManifest',
      `The manifests hold more than ${LIMITS.objects} objects (the limit) once rendered: split the stage.`
    )
  if (manifests.length === 0)
    throw new StageError('InvalidManifest', 'The manifests and renders contain no object.')
  return manifests
}

export function duplicates(manifests: LoadedManifest[]): Problem[] {
  const seen = new Map<string, LoadedManifest>()
  const problems: Problem[] = []
  for (const manifest of manifests) {
    const key = objectKey(manifest.object)
    const first = seen.get(key)
    if (first) {
      problems.push({
        location: manifest.source,
        message: `${displayName(manifest.object)} is defined twice (first at ${first.source.file}:${first.source.line})`
      })
    } else seen.set(key, manifest)
  }
  return problems
}
