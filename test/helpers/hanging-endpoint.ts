// A webhook that hangs: it accepts connections and reads requests but never sends a byte back, as a
// customer's stuck application server would. It counts the connections open at once, so a test can
// tell how many of Pigeon's callback slots the endpoint holds.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export class HangingEndpoint {
  /** Connections open now, the most open at once, and all ever accepted. */
  open = 0;
  maxOpen = 0;
  accepted = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async start(): Promise<this> {
    const server = createServer((socket) => {
      this.accepted++;
      this.open++;
      this.maxOpen = Math.max(this.maxOpen, this.open);
      this.sockets.add(socket);
      socket.on('close', () => {
        this.open--;
        this.sockets.delete(socket);
      });
      socket.on('error', () => undefined);
      socket.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
