/**
 * The worker's MCP sessions, one per server, kept open across calls. A session whose server
 * went away is dropped, so the next attempt (Temporal's retry) connects afresh; a server whose
 * settings changed gets a new session; a session nobody used for a while is closed (for a
 * stdio server, its process ends).
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectMcp, type McpServerSettings } from '../../shared/node/mcp/mcp-client';

interface Session {
  version: string;
  client: Promise<Client>;
  lastUsed: number;
}

const IDLE_MS = 10 * 60_000;

export class McpConnections {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(idleMs = IDLE_MS) {
    this.sweeper = setInterval(
      () => {
        const now = Date.now();
        for (const [id, session] of this.sessions) {
          if (now - session.lastUsed > idleMs) void this.drop(id, session);
        }
      },
      Math.min(idleMs, 60_000),
    );
    this.sweeper.unref();
  }

  /** The open session with the server, connecting when there is none. */
  client(settings: McpServerSettings): Promise<Client> {
    const current = this.sessions.get(settings.id);
    if (current?.version === settings.version) {
      current.lastUsed = Date.now();
      return current.client;
    }
    if (current) void this.drop(settings.id, current);
    const session: Session = {
      version: settings.version,
      client: connectMcp(settings),
      lastUsed: Date.now(),
    };
    this.sessions.set(settings.id, session);
    const forget = () => {
      if (this.sessions.get(settings.id) === session) this.sessions.delete(settings.id);
    };
    session.client.then((connected) => {
      // The process exited or the stream closed: forget the session.
      connected.onclose = forget;
    }, forget);
    return session.client;
  }

  /** Closes the server's session (after a failure), so the next call reconnects. */
  async drop(serverId: string, session = this.sessions.get(serverId)): Promise<void> {
    if (!session) return;
    if (this.sessions.get(serverId) === session) this.sessions.delete(serverId);
    await session.client.then((client) => client.close()).catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.keys()].map((id) => this.drop(id)));
  }
}
