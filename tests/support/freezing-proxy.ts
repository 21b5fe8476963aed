/**
 * A TCP proxy in front of a real database that goes silent in the middle of a statement: once the client sends
 * bytes containing a marker, they are still forwarded (the statement starts in the server), and from then on
 * nothing more passes in either direction, on any connection — without closing a socket, as a network partition
 * or a wedged server looks to the client. New connections are accepted and held. resume() drops what was frozen
 * (as the network would, eventually) and forwards new connections again.
 */
import net from 'node:net';

export class FreezingProxy {
  private isFrozen = false;
  private readonly sockets = new Set<net.Socket>();
  /** Times the proxy froze. */
  freezes = 0;

  private constructor(private readonly server: net.Server, readonly port: number) {}

  static async start(target: { host: string; port: number }, marker: string): Promise<FreezingProxy> {
    const trigger = Buffer.from(marker, 'utf8');
    let proxy!: FreezingProxy;
    const server = net.createServer((client) => proxy.accept(client, target, trigger));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new FreezingProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  /** Forwards again; connections caught in the freeze are dropped. */
  resume(): void {
    this.isFrozen = false;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    this.resume();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: net.Socket, target: { host: string; port: number }, trigger: Buffer): void {
    this.track(client);
    client.on('error', () => undefined);
    if (this.isFrozen) return; // held: accepted, never answered
    const upstream = net.connect(target.port, target.host);
    this.track(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (chunk: Buffer) => {
      if (this.isFrozen) return;
      upstream.write(chunk);
      if (chunk.includes(trigger)) {
        this.isFrozen = true;
        this.freezes++;
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!this.isFrozen) client.write(chunk);
    });
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }
}
