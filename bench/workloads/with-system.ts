/** Runs a benchmark body with a fresh actor system and an inbox, and shuts the system down after. */
import { start, type ActorSystem, type Inbox } from '../../runtime/index.js';

export async function withSystem<T>(schedulers: number, fn: (system: ActorSystem, me: Inbox) => Promise<T>): Promise<T> {
  const system = await start({ logLevel: 'silent', schedulers });
  const me = system.inbox();
  try {
    return await fn(system, me);
  } finally {
    await system.shutdown();
  }
}
