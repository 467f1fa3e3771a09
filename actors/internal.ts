/** Internals for tests and for the other layers of postbox (never re-exported by index.ts). */
export { Op, drive, formOf } from './op.js';
export { callSteps, whereisSteps, isVia, type CallMessage, type CastMessage, type ReplyMessage } from './gen.js';
export { GenServerLoop, GenServerAsyncLoop, startSteps, settle, isServerModule } from './gen-server.js';
export { SupervisorServer } from './supervisor.js';
export { RegistryServer } from './registry.js';
export { TaskRunner } from './task.js';
export { isSystemPid, describeReason } from './reasons.js';
export { loggerOf, report } from './reports.js';
