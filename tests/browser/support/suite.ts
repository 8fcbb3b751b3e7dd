import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { StorageKind } from '../../support/storage.js';
import { launchBrowser, newPerson, type Person } from './browser.js';
import { type AppServer, startAppServer } from './server.js';

/** The app server and the browser of a test file, and the people of the running test. */
export interface BrowserSuite {
  readonly app: AppServer;
  readonly browser: Browser;
  /**
   * A person in a fresh browser profile, on the app (or on `baseURL`, a link in front of it). When the test
   * ends, their browser is closed and the errors their page printed must be none.
   */
  person(
    name: string,
    options?: { baseURL?: string; viewport?: { width: number; height: number } },
  ): Promise<Person>;
  /** A person leaving before the test ends: their browser is closed now, with the same check. */
  leave(person: Person): Promise<void>;
}

export interface BrowserSuiteOptions {
  /** Which of a person's errors count (all of them unless given), for tests that cut the network. */
  readonly countedErrors?: (errors: readonly string[]) => string[];
  /** The storage of the app server (SQLite unless given). */
  readonly storage?: StorageKind;
  /** Settings of the app server on top of the defaults (limits, windows). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * For the calling test file: before its tests, starts the app server and the browser; after each test,
 * closes every person's browser and checks it printed no errors; after all, stops both.
 */
export function useBrowserSuite(options: BrowserSuiteOptions = {}): BrowserSuite {
  const countedErrors = options.countedErrors ?? ((errors) => [...errors]);
  let app: AppServer | undefined;
  let browser: Browser | undefined;
  let people: Person[] = [];

  /** Reads the errors before closing, closes every browser, then checks, so one failure leaves none open. */
  const closeAndCheck = async (leaving: readonly Person[]) => {
    const seen = leaving.map((person) => ({ person, errors: countedErrors(person.errors) }));
    for (const { person } of seen) await person.context.close();
    for (const { person, errors } of seen) expect(errors, `browser errors of ${person.name}`).toEqual([]);
  };

  beforeAll(async () => {
    app = await startAppServer(options.storage, options.env);
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });
  afterEach(async () => {
    const leaving = people;
    people = [];
    await closeAndCheck(leaving);
  });

  const suite: BrowserSuite = {
    get app() {
      if (!app) throw new Error('the app server is not started');
      return app;
    },
    get browser() {
      if (!browser) throw new Error('the browser is not started');
      return browser;
    },
    async person(name, { baseURL, viewport } = {}) {
      const created = await newPerson(suite.browser, baseURL ?? suite.app.baseURL, name, viewport);
      people.push(created);
      return created;
    },
    async leave(person) {
      people = people.filter((other) => other !== person);
      await closeAndCheck([person]);
    },
  };
  return suite;
}
