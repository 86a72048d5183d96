/**
 * The step log. The runner reads any line that starts (after blanks) with `::`
 * as a workflow command, so text from outside (pod logs, API server messages,
 * HTTP bodies, another stage's record) printed at the start of a line could
 * mask values, add annotations or stop the stage's own commands. Every line
 * the stage prints goes through here.
 */
import * as core from '@actions/core'

/** A zero-width space: invisible to people, and not a blank the runner would skip. */
const DEFUSE = '\u200b'

/** Each line that the runner would read as a command gets a character in front. Pure. */
export function neutralizeCommands(text: string): string {
  return text
    .split(/(\r?\n|\r)/)
    .map(part => (/^\s*(::|##\[)/.test(part) ? `${DEFUSE}${part}` : part))
    .join('')
}

export function info(text: string): void {
  core.info(neutralizeCommands(text))
}
