/**
 * Container image references, parsed by the distribution reference grammar:
 * [registry[:port]/]path[:tag][@digest]. Pure.
 */
import { StageError } from '../errors.js'

export interface ImageReference {
  /** As written, or docker.io when none was given. */
  registry: string
  /** Path inside the registry, as written (nginx, org/app). */
  path: string
  tag?: string
  digest?: string
  /** registry/path with Docker Hub's implicit library/ added: what two references are compared by. */
  repository: string
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const TAG = /^[\w][\w.-]{0,127}$/
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/
const DOMAIN =
  /^(?:localhost|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$/
const DOCKER_HUB = 'docker.io'

function invalid(reference: string, why: string): StageError {
  return new StageError('InvalidInput', `"${reference}" is not a valid image reference: ${why}.`)
}

export function parseImageReference(reference: string): ImageReference {
  let rest = reference.trim()
  if (!rest) throw invalid(reference, 'it is empty')
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST.test(digest)) throw invalid(reference, `digest "${digest}" is not algorithm:hex`)
    if (digest.startsWith('sha256:') && !/^sha256:[0-9a-f]{64}$/.test(digest)) {
      throw invalid(reference, 'a sha256 digest has exactly 64 lower-case hex characters')
    }
  }
  let tag: string | undefined
  const lastSlash = rest.lastIndexOf('/')
  const colon = rest.lastIndexOf(':')
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
    if (!TAG.test(tag))
      throw invalid(
        reference,
        `tag "${tag}" has characters other than letters, digits, _ . - (or is longer than 128)`
      )
  }
  const parts = rest.split('/')
  let registry = DOCKER_HUB
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost')) {
    registry = parts.shift()!
    if (!DOMAIN.test(registry))
      throw invalid(reference, `registry "${registry}" is not a host name with an optional port`)
  }
  if (parts.length === 0 || parts.some(p => !p)) throw invalid(reference, 'the repository path is empty')
  for (const part of parts) {
    if (!COMPONENT.test(part)) {
      throw invalid(
        reference,
        `path component "${part}" must be lower-case letters and digits, separated by . _ __ or -`
      )
    }
  }
  const path = parts.join('/')
  const dockerHub = registry === DOCKER_HUB || registry === 'index.docker.io'
  const repositoryPath = dockerHub && parts.length === 1 ? `library/${path}` : path
  return {
    registry,
    path,
    tag,
    digest,
    repository: `${dockerHub ? DOCKER_HUB : registry}/${repositoryPath}`
  }
}

/**
 * What two references to one image are compared by: the repository (Docker Hub's
 * implicit registry and library/ added) and the tag, `latest` when none is written.
 */
export function imageIdentity(reference: string): { repository: string; tag: string; digest?: string } {
  const parsed = parseImageReference(reference)
  return { repository: parsed.repository, tag: parsed.tag ?? 'latest', digest: parsed.digest }
}

export function formatImageReference(
  image: Pick<ImageReference, 'registry' | 'path' | 'tag' | 'digest'> & { explicitRegistry?: boolean }
): string {
  const name =
    image.registry === DOCKER_HUB && !image.explicitRegistry ? image.path : `${image.registry}/${image.path}`
  return `${name}${image.tag ? `:${image.tag}` : ''}${image.digest ? `@${image.digest}` : ''}`
}
