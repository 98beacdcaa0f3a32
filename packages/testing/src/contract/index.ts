/**
 * `@maven/wecom-testing/contract`: the adapter contract (vitest suites), and the fixtures an
 * adapter's own framework-specific tests use. Needs vitest (an optional peer dependency).
 */
export { type AdapterUnderTest, runAdapterContract } from './contract.js';
export {
  APP,
  APP_KEYS,
  appCallback,
  BOT,
  botCallback,
  type ContractBot,
  type ContractEndpoint,
  type ContractSdk,
  createBot,
  createRouter,
  DEADLINE_MS,
  gate,
  postCallback,
  type RoundTripTarget,
  roundTrips,
} from './round-trips.js';
export {
  type Answer,
  chunkedBody,
  createProbe,
  listen,
  listenTo,
  type Probe,
  type ProbeSeen,
  type Running,
  request,
} from './servers.js';
