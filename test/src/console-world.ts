import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import type { AppDeps } from '@mod/api';
import { expect } from 'vitest';
import { createProducer, type Producer } from '@mod/kafka';
import { parseSecretKey } from '@mod/people';
import { seedTenants, type TestTenant } from '@mod/testing';
import { launchChromium, watchPage, type PageWatch } from './console-browser.js';
import { buildWorldApp, createWorld, listenOnLoopback, type World } from './helpers.js';

/** A person the admin tenant `ops` adds before the browser opens. */
export interface ConsolePerson {
  login: string;
  displayName: string;
  role: string;
}

/** The API with the console's production build on loopback, its world, and one Chromium page watched for problems. */
export interface ConsoleWorld {
  world: World;
  app: FastifyInstance;
  origin: string;
  browser: Browser;
  page: Page;
  watch: PageWatch;
  /** Each person's one-time password, by login, for `firstSignInAs`. */
  oneTimes: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Seeds `tenants` (among them `ops`, an admin tenant with a key), adds `people` to `ops` through the API as an
 * admin does, and opens Chromium (1280x900) on the served console; `deps` adds to the API's dependencies (a
 * clock, people's settings).
 */
export async function openConsoleWorld(
  tenants: readonly TestTenant[],
  people: readonly ConsolePerson[],
  deps: Partial<AppDeps> = {},
): Promise<ConsoleWorld> {
  const world = createWorld();
  await world.ready;
  let producer: Producer | undefined;
  let app: FastifyInstance | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    await app?.close();
    await producer?.disconnect();
    await world.drop();
  };
  try {
    producer = await createProducer(world.kafka);
    app = await buildWorldApp(world, producer, {
      ...deps,
      people: { ...deps.people, secretKey: parseSecretKey(randomBytes(32).toString('base64')) },
    });
    const origin = await listenOnLoopback(app);
    const keys = await seedTenants(world.db, tenants);
    const oneTimes: Record<string, string> = {};
    for (const person of people) {
      const made = await app.inject({
        method: 'POST',
        url: '/v1/admin/people',
        headers: { authorization: `Bearer ${keys['ops']}` },
        payload: { tenantId: 'ops', ...person },
      });
      expect(made.statusCode, made.body).toBe(201);
      oneTimes[person.login] = made.json<{ oneTimePassword: string }>().oneTimePassword;
    }
    browser = await launchChromium();
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    return { world, app, origin, browser, page, watch: watchPage(page, origin), oneTimes, close };
  } catch (err) {
    await close();
    throw err;
  }
}
