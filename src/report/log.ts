/**
 * The step log. The runner reads a line as a workflow command when it starts,
 * after any whitespace (.NET's idea of it, which includes U+0085 and the other
 * Unicode spaces), with `::`, and, in the older syntax, when `##[` appears
 * anywhere in it. Text from outside (pod logs, API server messages, HTTP
 * bodies, another stage's record, the Lease holder) printed as is could mask
 * values, add annotations or stop the stage's own commands. Every line the
 * stage prints goes through here, redacted of every known credential.
 */
import * as core from '@actions/core'
import { redactKnown } from '../secrets.js'

/** A zero-width space: invisible to people, and neither a blank the runner would skip nor part of `##[`. */
const DEFUSE = '\u200b'

/** What .NET's char.IsWhiteSpace accepts: JavaScript's \s, plus NEL (U+0085) and U+180E. */
const RUNNER_BLANK = '[\\s\\u0085\\u180e]'
const COMMAND_START = new RegExp(`^${RUNNER_BLANK}*::`)

/** Each line that the runner would read as a command is defused. Pure. */
export function neutralizeCommands(text: string): string {
  return text
    .split(/(\r?\n|\r)/)
    .map(part => {
      const defused = part.replaceAll('##[', `#${DEFUSE}#[`)
      return COMMAND_START.test(defused) ? `${DEFUSE}${defused}` : defused
    })
    .join('')
}

export function info(text: string): void {
  core.info(neutralizeCommands(redactKnown(text)))
}
