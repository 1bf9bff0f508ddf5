/**
 * The worker's MCP sessions, one per server, kept open across calls. A session whose server
 * went away is dropped, so the next attempt (Temporal's retry) connects afresh; a server whose
 * settings changed gets a new session.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectMcp, type McpServerSettings } from '../../shared/node/mcp/mcp-client';

interface Session {
  version: string;
  client: Promise<Client>;
}

export class McpConnections {
  private readonly sessions = new Map<string, Session>();

  /** The open session with the server, connecting when there is none. */
  client(settings: McpServerSettings): Promise<Client> {
    const current = this.sessions.get(settings.id);
    if (current?.version === settings.version) return current.client;
    if (current) void this.drop(settings.id, current);
    const client = connectMcp(settings);
    const session = { version: settings.version, client };
    this.sessions.set(settings.id, session);
    client.then(
      (connected) => {
        // The process exited or the stream closed: forget the session.
        connected.onclose = () => {
          if (this.sessions.get(settings.id) === session) this.sessions.delete(settings.id);
        };
      },
      () => {
        if (this.sessions.get(settings.id) === session) this.sessions.delete(settings.id);
      },
    );
    return client;
  }

  /** Closes the server's session (after a failure), so the next call reconnects. */
  async drop(serverId: string, session = this.sessions.get(serverId)): Promise<void> {
    if (!session) return;
    if (this.sessions.get(serverId) === session) this.sessions.delete(serverId);
    await session.client.then((client) => client.close()).catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.drop(id)));
  }
}
