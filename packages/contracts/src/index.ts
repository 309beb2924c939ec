export { ModError, PermanentError, isModError } from './errors.js';
export { Topics, topicSpecs, topicNames, type TopicName, type TopicSpec } from './topics.js';
export {
  SignalType,
  MEDIA_META_HEADER,
  PARTNER_EVENT_MAX_BYTES,
  MediaEventMeta,
  PartnerMediaMeta,
  FramesClassified,
  FramesScanned,
  FramesUnexamined,
  Hit,
  ContentHashes,
  Classification,
  Verdict,
  Classified,
  BlockingRequest,
  TakedownRequest,
  EscalationReasonCode,
  OrderEvent,
  ContractError,
  Codecs,
  createCodec,
  type Codec,
} from './events.js';
export { DeadLetter, DeadLettersFolded } from './dead-letter.js';
export {
  BankChangeMessage,
  BLOCKHASH_MATCH_DISTANCE,
  PDQ_MATCH_DISTANCE,
  PDQ_MIN_QUALITY,
  bankChangeCodec,
  bankChangeKey,
} from './banks.js';
export { UrlObserved, UrlListChange, urlObservedCodec, urlListChangeCodec } from './urls.js';
export {
  PartnerInboundRetentionBytes,
  PartnerTopics,
  PartnerTopicsByKind,
  TENANT_ID_PATTERN,
  partnerTopic,
  partnerTopicSpec,
  partnerTopicSpecs,
  partnerTopicSpecOf,
  tenantOfPartnerTopic,
  type PartnerKind,
  type PartnerTopicBase,
} from './topics.js';
export {
  DefaultPartnerQuotas,
  DefaultServiceGroups,
  DefaultServicePrincipals,
  ServiceRoles,
  partnerAcls,
  partnerSuspension,
  partnerGroupPrefix,
  serviceAcls,
  type AclBinding,
  type AclOperation,
  type PartnerQuotas,
  type ServiceAclOptions,
  type ServiceRole,
} from './kafka-access.js';
export {
  RECORD_BATCH_HEADER_BYTES,
  largestValueBytes,
  singleRecordBatchBytes,
  varintBytes,
  type RecordShape,
} from './record-size.js';
export {
  deterministicUuid,
  embeddedSubmissionId,
  fetcherSubmissionIds,
  readMediaEvent,
  type MediaEvent,
  type MediaEventRead,
} from './media-events.js';
export { ownRecordTenant } from './record-tenant.js';
export {
  AVIF_BRANDS,
  ImageSignature,
  ftypBrands,
  ftypMajorBrand,
  imageSignature,
} from './image-signatures.js';
