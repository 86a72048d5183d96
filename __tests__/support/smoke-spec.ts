/** The error parseSmokeSpec refuses a smoke spec with (as if read from smoke.yaml); throws when it accepts it. */
import { StageError } from '../../src/errors.js'
import { parseSmokeSpec } from '../../src/smoke/spec.js'

export function specError(text: string): StageError {
  try {
    parseSmokeSpec(text, 'smoke.yaml')
  } catch (error) {
    return error as StageError
  }
  throw new Error('expected the spec to be refused')
}
