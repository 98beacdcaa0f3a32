// autocannon ships no types; this is the part of its programmatic API the benchmarks use.
declare module 'autocannon' {
  namespace autocannon {
    interface RawRequest {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
    }
    interface RequestSpec extends RawRequest {
      setupRequest?: (request: RawRequest, context: Record<string, unknown>) => RawRequest | null;
      onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
    }
    /** autocannon's per-connection client (internal shape, as far as the benchmarks touch it). */
    interface Client {
      requestIterator: {
        currentRequest: { requestBuffer: Buffer };
        nextRequest: () => { requestBuffer: Buffer };
      };
    }
    interface Options {
      setupClient?: (client: Client) => void;
      url: string;
      connections?: number;
      duration?: number;
      /** Milliseconds between samples (default 1000); the stop flag is checked on each. */
      sampleInt?: number;
      amount?: number;
      pipelining?: number;
      timeout?: number;
      method?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      requests?: RequestSpec[];
      excludeErrorStats?: boolean;
      /** Requests per second over all connections (default: as fast as answered). */
      overallRate?: number;
    }
    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      total: number;
      p50: number;
      p90: number;
      p99: number;
      p99_9?: number;
      p2_5?: number;
      p97_5?: number;
    }
    interface Result {
      requests: Histogram;
      latency: Histogram;
      throughput: Histogram;
      duration: number;
      errors: number;
      timeouts: number;
      non2xx: number;
      '2xx': number;
      statusCodeStats: Record<string, { count: number }>;
    }
    interface Instance extends PromiseLike<Result> {
      stop(): void;
    }
  }
  function autocannon(options: autocannon.Options): autocannon.Instance & Promise<autocannon.Result>;
  export default autocannon;
}
