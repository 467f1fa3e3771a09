/**
 * The frontend as a component of the tree: a GenServer that owns the HTTP server.
 *
 *   init       close the server of a predecessor that was killed (no terminate ran, so its
 *              socket is still open), build the HTTP app over the BrokerService, listen on
 *              the same port as before
 *   info       {topicChanged} from a metadata shard ──► the app's topic cache drops the entry
 *   terminate  release parked long polls, then close: stop accepting, let requests in flight
 *              (publishes waiting for their commit) finish; the store stops after us
 *
 * It runs on the main thread (started with a start function by the tree), since the HTTP
 * server and the service that calls the actors as `system` live there.
 */
import type { GenServerCallbacks } from '../../actors/index.js';
import type { Context } from '../../runtime/index.js';
import { isTopicChanged } from '../metadata/shard.js';
import type { ActorBrokerService } from './actor-service.js';

/** What the frontend needs of an HTTP server (fastify's instance has it). */
export interface HttpServer {
  listen(options: { host: string; port: number }): Promise<string>;
  close(): Promise<unknown>;
  readonly server: { address(): unknown };
}

export interface FrontendOptions {
  readonly service: ActorBrokerService;
  readonly host: string;
  /** 0 picks a free port at the first start; a restart reuses the port it got. */
  readonly port: number;
  readonly createHttpServer: (service: ActorBrokerService) => HttpServer;
  /** Told the address once listening (first start and restarts). */
  readonly onListening?: (address: { host: string; port: number }) => void;
}

interface FrontendState {
  readonly http: HttpServer;
}

export function frontendServer(options: FrontendOptions): GenServerCallbacks<FrontendState, undefined> {
  // Kept across restarts (the tree makes these callbacks once): the port to listen on again,
  // and the server last started, which a `kill` leaves listening since terminate does not run.
  let port = options.port;
  let previous: HttpServer | null = null;
  return {
    async init(_args: undefined, ctx: Context) {
      ctx.trapExit(true); // so a shutdown runs terminate, which closes the server gracefully
      if (previous !== null) await previous.close();
      const http = options.createHttpServer(options.service);
      previous = http;
      await http.listen({ host: options.host, port });
      port = (http.server.address() as { port: number }).port;
      options.onListening?.({ host: options.host, port });
      return { ok: true, state: { http } };
    },

    async handleInfo(message: unknown, state: FrontendState) {
      if (isTopicChanged(message)) options.service.topicChanged(message.topicChanged);
      return { noreply: true, state };
    },

    async terminate(_reason: unknown, state: FrontendState) {
      options.service.releasePolls();
      await state.http.close();
      previous = null;
    },
  };
}
