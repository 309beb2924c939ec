export { ModError, isModError } from './errors.js';
export { Topics, topicSpecs, topicNames, type TopicName, type TopicSpec } from './topics.js';
export {
  SignalType,
  MediaSubmitted,
  Hit,
  ContentHashes,
  Classification,
  Verdict,
  BlockingRequest,
  TakedownRequest,
  OrderEvent,
  DeadLetter,
  ContractError,
  Codecs,
  createCodec,
  type Codec,
} from './events.js';
export { BankChangeMessage, bankChangeCodec, bankChangeKey } from './banks.js';
export { UrlObserved, UrlListChange, urlObservedCodec, urlListChangeCodec } from './urls.js';
