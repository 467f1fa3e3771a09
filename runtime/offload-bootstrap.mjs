// piscina worker entry when postbox runs from its TypeScript sources (see thread-loader.ts):
// register tsx's ESM loader in this thread, then hand over to the TypeScript handler.
import { register } from 'tsx/esm/api';

register();
const { default: runOffloaded } = await import('./offload-task.ts');
export default runOffloaded;
