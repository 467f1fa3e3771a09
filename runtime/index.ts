/**
 * postbox runtime: the public surface. Anything not exported here is internal
 * (tests reach it through runtime/internal.ts).
 */
export { start, ActorSystem } from './system.js';
export type { StartOptions, Inbox } from './system.js';
export { defineActor } from './actor.js';
export { defineTask } from './offload.js';
export type { TaskDefinition } from './offload.js';
export type { ActorDefinition, ActorBody, AsyncBody, GeneratorBody, ActorKind } from './actor.js';
export type {
  Context,
  BaseContext,
  Destination,
  ProcessInfo,
  RegisterResult,
  SpawnOptions,
  Spawnable,
  TimerRef,
} from './context.js';
export type { Match, MailboxMark, ReceivePattern, PatternValue } from './mailbox.js';
export { Pid, Ref, samePid } from './pid.js';
export { TIMEOUT, isExitMessage, isDownMessage, isOrderlyExit } from './signals.js';
export type { ExitReason, ExitMessage, DownMessage, Timeout } from './signals.js';
export { BadArgError, ActorExitedError, SystemStoppedError, SerialsExhaustedError } from './errors.js';
export { UnsendableError } from './codec.js';
export { SharedBinary, sharedMemoryInfo } from './shared-binary.js';
export type { SharedMemoryInfo } from './binary-heap.js';
export {
  ReleasedBinaryError,
  SealedBinaryError,
  SharedMemoryLimitError,
  SharedMemoryBusyError,
  NoBinaryHeapError,
} from './binary-errors.js';
