import {
  defineWorkerService,
  labelledCounter,
  type WorkerService,
  type WorkerServiceParts,
} from '@mod/bootstrap';
import { Codecs } from '@mod/contracts';
import type { ConfigOf } from '@mod/config';
import { toDatabaseError } from '@mod/db';
import { createDecodeMarks, createTenantDirectory, submissionScanState } from '@mod/db/submissions';
import { Gauge, Histogram } from '@mod/telemetry';
import { createClassifyStep } from './classify-step.js';
import type { classifierSpec } from './config.js';
import { createMediaClassifier } from './media-classifier.js';

export type ClassifierConfig = ConfigOf<typeof classifierSpec>;

export type ClassifierService = WorkerService;

/**
 * The classification stage: its own consumer group on the media topics (the scanner's, and every platform's), as
 * many model threads as it is given, scaled apart from hashing. Media that matched nothing is classified once
 * its verdict is recorded; the result goes to the classifications topic for the actioner.
 */
export const createClassifierService = defineWorkerService(
  { role: 'classifier', dbConnections: 4 },
  classifierService,
);

function classifierService(parts: WorkerServiceParts<ClassifierConfig>): ClassifierService {
  const { worker, config, logger, registry } = parts;
  const { topics, db } = worker;
  // Decodes under way, marked in PostgreSQL: media whose decode ends the whole process is counted as crashed by the
  // next one (the owner: this instance's static membership id, unique among live instances).
  const decodeMarks = createDecodeMarks({
    db,
    stage: 'classify',
    owner: worker.kafka.groupInstanceId,
    leaseMs: config.DECODE_LEASE_MS,
    ttlMs: config.DECODE_MARK_TTL_MS,
    onError: (err) => logger.warn({ err }, 'decode marks not written; trying with the next batch'),
    // The last batch at stop is tried again for at most a quarter of the shutdown budget.
    stopRetryMs: Math.floor(config.SHUTDOWN_TIMEOUT_MS / 4),
    onMarksLeft: (err, marksLeft) =>
      logger.error(
        { err, marksLeft },
        'decode marks of decodes that ended not deleted at stop: the next start of this instance counts each as a crash',
      ),
  });
  const classifier = createMediaClassifier({
    db,
    decodeMarks,
    modelsDir: config.MODELS_DIR,
    threads: config.CLASSIFIER_THREADS,
    workerMaxHeapMb: config.CLASSIFIER_WORKER_MAX_HEAP_MB,
    batchSize: config.CLASSIFIER_BATCH_SIZE,
    maxDecodedBytes: config.CLASSIFIER_MAX_DECODED_BYTES,
    decodeTimeoutMs: config.CLASSIFIER_DECODE_TIMEOUT_MS,
    maxFrames: config.CLASSIFIER_MAX_FRAMES,
    thresholds: {
      reviewThreshold: config.RISK_REVIEW_THRESHOLD,
      sexyWeight: config.RISK_SEXY_WEIGHT,
      minorWeight: config.RISK_MINOR_WEIGHT,
    },
    logger,
    outcomes: labelledCounter(registry, {
      name: 'mod_classifier_classifications_total',
      help: 'Classifier runs by outcome (classified, cached, failed)',
      label: 'outcome',
    }),
    unexaminedFrames: labelledCounter(registry, {
      name: 'mod_classifier_frames_unexamined_total',
      help: 'Frames of multi-frame media the classifier did not score, by why (frame-limit, time-limit, decode-refused, no-decoder)',
      label: 'reason',
    }),
    batches: new Histogram({
      name: 'mod_classifier_batch_size',
      help: 'Images per inference call',
      buckets: [1, 2, 4, 8, 16, 32],
      registers: [registry],
    }),
  });
  const skipped = labelledCounter(registry, {
    name: 'mod_classifier_skipped_total',
    help: 'Media not classified, by reason (matched a list, scan failed, already classified, no verdict)',
    label: 'reason',
  });
  new Gauge({
    name: 'mod_classifier_queue_size',
    help: 'Images waiting for a classifier thread',
    registers: [registry],
    collect() {
      this.set(classifier.queueSize());
    },
  });
  // Media whose risk asks for review is sealed in the evidence vault before its result is published.
  const keepEvidence = worker.evidenceKeeper(config, 'classifier');

  return {
    checks: worker.checks(),
    async start() {
      const out = await worker.open(['mediaSubmitted', 'classifications']);
      const { leftBehind } = await decodeMarks.start();
      if (leftBehind > 0)
        logger.warn(
          { leftBehind, code: 'MOD_ERR_CLASSIFIER_WORKER_CRASHED' },
          'decodes were under way when this instance last ended: each counts as a crash of its content',
        );
      const runner = await worker.consume({
        groupId: config.CLASSIFIER_GROUP_ID,
        inbound: { kind: 'mediaSubmitted', refreshMs: config.PARTNER_TOPICS_REFRESH_MS },
        stepName: 'classify',
        step: createClassifyStep({
          mediaTopic: topics.mediaSubmitted,
          topicPrefix: config.TOPIC_PREFIX,
          scanState: async (id) => {
            try {
              return await submissionScanState(db, id);
            } catch (err) {
              throw toDatabaseError(err, 'submission scan state');
            }
          },
          tenants: createTenantDirectory(db),
          classify: (sha256, bytes) => classifier.classify(sha256, bytes),
          publish: async (classified) => {
            await out.send({
              topic: topics.classifications,
              messages: [{ key: classified.submissionId, value: Codecs.classified.encode(classified) }],
            });
          },
          ...(keepEvidence === null ? {} : { keepEvidence }),
          verdictWaitMs: config.CLASSIFIER_VERDICT_WAIT_MS,
          maxMediaBytes: config.MAX_MEDIA_BYTES,
          skipped,
        }),
        maxInFlight: config.CLASSIFIER_MAX_IN_FLIGHT,
        readAheadBytes: config.CLASSIFIER_READ_AHEAD_BYTES,
        // Media in the steps, bounded by bytes; media awaiting its verdict holds none (read again once it is there).
        maxInFlightBytes: config.CLASSIFIER_READ_AHEAD_BYTES,
      });
      logger.info(
        { topics: runner.topics(), threads: config.CLASSIFIER_THREADS, batch: config.CLASSIFIER_BATCH_SIZE },
        'classifier started',
      );
    },
    async stop() {
      await worker.stop();
      await decodeMarks.stop();
      await classifier.close();
      await worker.close();
    },
  };
}
