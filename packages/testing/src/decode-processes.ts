import { createHash } from 'node:crypto';
import type { Queryable } from '@mod/db';
import { createDecodeMarks, type DecodeMarks, type DecodeStage } from '@mod/db/submissions';

/**
 * Processes of one instance (`owner`) as their durable decode marks see them (`createDecodeMarks`), for tests of
 * media whose decode ended the process: `start` is a new process's marks, started; `endedWhileDecoding` a process
 * that ended (aborted) while decoding `media`, its mark begun, never ended (alone, as suspect media is decoded);
 * `stopAll` stops every one made.
 */
export function decodeProcesses(db: Queryable, stage: DecodeStage, owner: string) {
  const made: DecodeMarks[] = [];
  const start = async (): Promise<DecodeMarks> => {
    const marks = createDecodeMarks({ db, stage, owner });
    await marks.start();
    made.push(marks);
    return marks;
  };
  return {
    start,
    async endedWhileDecoding(media: Buffer): Promise<void> {
      const marks = await start();
      const digest = createHash('sha256').update(media).digest('hex');
      if ((await marks.begin(digest)) > 0) await marks.beginAlone(digest);
    },
    stopAll: async (): Promise<void> => {
      await Promise.all(made.splice(0).map((m) => m.stop()));
    },
  };
}
