/**
 * The `images` input: replace container images by repository, in every pod
 * spec of the set, and say which overrides matched nothing. Pure.
 */
import { StageError } from '../errors.js'
import { cloneObject, containersOf, displayName, podSpecsOf } from './objects.js'
import { parseImageReference } from './image.js'
import type { KubeObject } from './types.js'

export interface ImageOverride {
  /** Normalized repository the override applies to. */
  repository: string
  /** The reference every matching container gets. */
  image: string
  /** The entry as written. */
  entry: string
}

export interface ImageChange {
  workload: string
  container: string
  from: string
  to: string
}

/**
 * Entries separated by newlines or commas: `repository=new-reference`, or a
 * full reference (`ghcr.io/o/app:1.2.3`, `app@sha256:...`) that replaces its own repository.
 */
export function parseImageOverrides(input: string): ImageOverride[] {
  return input
    .split(/[\n,]/)
    .map(e => e.trim())
    .filter(Boolean)
    .map(entry => {
      const eq = entry.indexOf('=')
      try {
        if (eq >= 0) {
          const image = entry.slice(eq + 1).trim()
          parseImageReference(image)
          return { repository: parseImageReference(entry.slice(0, eq).trim()).repository, image, entry }
        }
        const parsed = parseImageReference(entry)
        if (!parsed.tag && !parsed.digest)
          throw new Error('it needs a tag or a digest to replace anything with')
        return { repository: parsed.repository, image: entry, entry }
      } catch (error) {
        throw new StageError(
          'InvalidInput',
          `Input images: entry "${entry}" is invalid: ${(error as Error).message}`
        )
      }
    })
}

export function applyImageOverrides(
  objects: KubeObject[],
  overrides: ImageOverride[]
): { objects: KubeObject[]; changes: ImageChange[]; unmatched: string[] } {
  const used = new Set<ImageOverride>()
  const changes: ImageChange[] = []
  const result = objects.map(original => {
    const specs = podSpecsOf(original)
    if (specs.length === 0 || overrides.length === 0) return original
    const object = cloneObject(original)
    for (const at of podSpecsOf(object)) {
      for (const { container } of containersOf(at)) {
        if (!container.image) continue
        let repository: string
        try {
          repository = parseImageReference(container.image).repository
        } catch {
          continue // the API server's dry run reports invalid images with their object
        }
        const override = overrides.find(o => o.repository === repository)
        if (!override) continue
        used.add(override)
        if (container.image !== override.image) {
          changes.push({
            workload: displayName(object),
            container: container.name,
            from: container.image,
            to: override.image
          })
          container.image = override.image
        }
      }
    }
    return object
  })
  return { objects: result, changes, unmatched: overrides.filter(o => !used.has(o)).map(o => o.entry) }
}
