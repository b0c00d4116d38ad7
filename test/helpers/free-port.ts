// A TCP port on 127.0.0.1 that nothing listens on, for a child process or a program (Kannel) that
// must be told its port before it starts. The port is free when this resolves; another process may
// still take it before it is used, which on a test machine is rare enough.
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}
