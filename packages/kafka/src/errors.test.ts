import { MultipleErrors, NetworkError, ProtocolError, TimeoutError } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { ModError } from '@mod/contracts';
import { isRecordRefusal } from './errors.js';

/** As the producer throws it: the client's error wrapped in a MOD_ERR_KAFKA_PRODUCE. */
const produceFailure = (cause: Error) => new ModError('MOD_ERR_KAFKA_PRODUCE', 'producing failed', { cause });

describe('isRecordRefusal', () => {
  it("is the broker's refusal of the records, however deep the client wraps it", () => {
    for (const id of ['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE'])
      expect(isRecordRefusal(produceFailure(new ProtocolError(id))), id).toBe(true);
    // One partition refused among several answers.
    const mixed = new MultipleErrors('produce failed', [new Error('other'), new ProtocolError(10)]);
    expect(isRecordRefusal(produceFailure(mixed))).toBe(true);
  });

  it('is not a failure a smaller send would meet alike', () => {
    expect(isRecordRefusal(produceFailure(new NetworkError('connection refused')))).toBe(false);
    expect(isRecordRefusal(produceFailure(new TimeoutError('request timed out')))).toBe(false);
    expect(isRecordRefusal(produceFailure(new ProtocolError('TOPIC_AUTHORIZATION_FAILED')))).toBe(false);
    expect(isRecordRefusal(produceFailure(new ProtocolError('NOT_LEADER_OR_FOLLOWER')))).toBe(false);
    expect(isRecordRefusal(new Error('MESSAGE_TOO_LARGE in a message only'))).toBe(false);
    expect(isRecordRefusal('text')).toBe(false);
  });
});
