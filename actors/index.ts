/**
 * postbox OTP behaviours: the public surface. GenServer, Supervisor, Task and Registry are
 * namespaces of functions (as the OTP modules are); every blocking one returns an operation to
 * `await` (async actors, outside code with the system) or `yield*` (generator actors).
 * Anything not exported here is internal (tests reach it through actors/internal.ts).
 */
import { call, cast, reply, sendTo, stop, whereis } from './gen.js';
import { define as defineServer, start as startServer, startLink as startServerLink } from './gen-server.js';
import * as registry from './registry.js';
import * as supervisor from './supervisor.js';
import * as task from './task.js';

/** OTP's gen_server: define a callback module, start it, call/cast/stop it, reply later. */
export const GenServer = Object.freeze({
  define: defineServer,
  start: startServer,
  startLink: startServerLink,
  call,
  cast,
  reply,
  stop,
  whereis,
  send: sendTo,
});

/** OTP's supervisor. */
export const Supervisor = Object.freeze({
  define: supervisor.define,
  start: supervisor.start,
  startLink: supervisor.startLink,
  startChild: supervisor.startChild,
  terminateChild: supervisor.terminateChild,
  restartChild: supervisor.restartChild,
  deleteChild: supervisor.deleteChild,
  whichChildren: supervisor.whichChildren,
  countChildren: supervisor.countChildren,
});

/** Elixir's Task. */
export const Task = Object.freeze({
  define: task.define,
  async: task.async,
  asyncNolink: task.asyncNolink,
  asyncOpt: task.asyncOpt,
  await: task.await,
  yield: task.yield,
  shutdown: task.shutdown,
});

/** A name registry server for `via` names. */
export const Registry = Object.freeze({
  start: registry.start,
  startLink: registry.startLink,
  childSpec: registry.childSpec,
  via: registry.via,
  register: registry.register,
  unregister: registry.unregister,
  lookup: registry.lookup,
  keys: registry.keys,
  count: registry.count,
  send: registry.send,
});

export {
  BadReturnValueError,
  CallExitError,
  CallTimeoutError,
  NoProcError,
  TaskExitError,
  TaskTimeoutError,
  isBadReturnValue,
} from './errors.js';

export type { Op, Caller } from './op.js';
export type { From, RegistryKey, ServerName, ServerRef, Via, RegisterViaResult } from './gen.js';
export type {
  CallResult,
  CastResult,
  GenServerCallbacks,
  InfoResult,
  InitResult,
  LoopForm,
  Returns,
  ServerModule,
  StartOptions,
  StartResult,
} from './gen-server.js';
export type {
  ChildCounts,
  ChildInfo,
  ChildResult,
  ChildSpec,
  ChildStart,
  ChildType,
  RestartType,
  Shutdown,
  StartChildResult,
  StartFunction,
  Strategy,
  SupervisorModule,
  SupervisorSpec,
} from './supervisor.js';
export type { Task as TaskHandle, TaskFunction, TaskModule, TaskOptions, TaskOutcome } from './task.js';
export type { RegistryOptions } from './registry.js';
export type { Report } from './reports.js';
