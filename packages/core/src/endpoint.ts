/**
 * The base of the bot and the router: their listeners (`WeComEmitter`) and the one handler entry of
 * their pipeline, so neither class repeats the `WeComHandler` plumbing.
 */
import type { EventEmitter } from 'eventemitter3';
import { WeComEmitter } from './emitter.js';
import { handleFetch } from './fetch-handler.js';
import type { ReceiveContext, WeComHandler, WeComRequest, WeComResponse } from './handler.js';

export abstract class WeComEndpoint<Events extends EventEmitter.ValidEventTypes>
  extends WeComEmitter<Events>
  implements WeComHandler
{
  #handler: WeComHandler | undefined;

  /** Set once, in the subclass's constructor, to its pipeline's handler. */
  protected serveWith(handler: WeComHandler): void {
    this.#handler = handler;
  }

  get maxBodyBytes(): number {
    return this.#handler!.maxBodyBytes;
  }

  /** The one entry: method, URL, headers and the body (or a reader of it). */
  receive(request: WeComRequest, context?: ReceiveContext): Promise<WeComResponse> {
    return this.#handler!.receive(request, context);
  }

  /** The fetch port for this endpoint: `handleFetch(endpoint, request, { context })`. */
  handle(request: Request, context?: ReceiveContext): Promise<Response> {
    return handleFetch(this, request, context ? { context } : {});
  }

  matches(pathname: string): boolean {
    return this.#handler!.matches(pathname);
  }

  /** Stops taking callbacks, waits for background replies (up to `timeoutMs`), then aborts the rest. */
  close(options?: { timeoutMs?: number }): Promise<void> {
    return this.#handler!.close(options);
  }
}
