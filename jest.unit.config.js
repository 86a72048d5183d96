// The unit project alone: what mutation testing runs (stryker.config.mjs).
import { unitProject } from './jest.config.js'

export default { ...unitProject, displayName: undefined }
