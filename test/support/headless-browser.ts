/**
 * A real headless Chromium (Debian's `chromium`, which `npm test` installs), driven over the
 * DevTools protocol with Node's own WebSocket: for tests of what a person sees in a page.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function chromiumBinary(): string {
  const found = [process.env.KASAL_CHROMIUM_BIN, ...CANDIDATES].find(
    (candidate) => candidate && existsSync(candidate),
  );
  if (!found) {
    throw new Error(
      "Chromium not found: run the tests with 'npm test' (it installs Debian's chromium) or set KASAL_CHROMIUM_BIN",
    );
  }
  return found;
}

export interface BrowserPage {
  goto(url: string): Promise<void>;
  /** The page's visible text. */
  text(): Promise<string>;
  /** A PNG of the page as it looks now (to look at while debugging a test). */
  screenshot(): Promise<Buffer>;
  close(): Promise<void>;
}

export async function openHeadlessPage(): Promise<BrowserPage> {
  const profile = mkdtempSync(path.join(tmpdir(), 'kasal-chromium-'));
  const browser = spawn(
    chromiumBinary(),
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
      '--remote-debugging-address=127.0.0.1',
      '--remote-debugging-port=0',
      `--user-data-dir=${profile}`,
      '--window-size=1400,1000',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const stop = async () => {
    if (browser.exitCode === null && browser.signalCode === null) {
      const exited = once(browser, 'exit');
      browser.kill('SIGKILL');
      await exited;
    }
    rmSync(profile, { recursive: true, force: true });
  };
  try {
    const devtools = await devToolsUrl(browser);
    const port = new URL(devtools).port;
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
      type: string;
      webSocketDebuggerUrl: string;
    }[];
    const target = targets.find((candidate) => candidate.type === 'page');
    if (!target) throw new Error('Chromium opened no page');
    const session = await connect(target.webSocketDebuggerUrl);
    await session.send('Page.enable');
    return {
      async goto(url) {
        await session.send('Page.navigate', { url });
      },
      async text() {
        const result = await session.send('Runtime.evaluate', {
          expression: 'document.body ? document.body.innerText : ""',
          returnByValue: true,
        });
        return String((result.result as { value?: unknown }).value ?? '');
      },
      async screenshot() {
        const shot = await session.send('Page.captureScreenshot', { format: 'png' });
        return Buffer.from(String(shot.data), 'base64');
      },
      async close() {
        session.close();
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Chromium prints `DevTools listening on ws://…` once it is ready. */
function devToolsUrl(browser: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`Chromium did not start:\n${output}`)), 30_000);
    browser.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    browser.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Chromium exited (${code}):\n${output}`));
    });
  });
}

interface DevToolsSession {
  send(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  close(): void;
}

async function connect(url: string): Promise<DevToolsSession> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)), {
      once: true,
    });
  });
  let nextId = 1;
  const pending = new Map<
    number,
    { resolve: (value: Record<string, unknown>) => void; reject: (error: Error) => void }
  >();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as {
      id?: number;
      result?: Record<string, unknown>;
      error?: { message: string };
    };
    const waiting = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id as number);
    if (message.error) waiting.reject(new Error(message.error.message));
    else waiting.resolve(message.result ?? {});
  });
  return {
    send(method, params = {}) {
      const id = nextId++;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
    },
    close: () => socket.close(),
  };
}
