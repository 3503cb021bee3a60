import { expect } from 'chai';
import * as net from 'node:net';
import { kernelSendQueue } from '../../lib/sinks/kernelSendQueue';
import { waitFor } from '../helpers/waitFor';

describe('kernelSendQueue (real TCP on loopback)', () => {
  it('reports the bytes the kernel holds for a peer that does not read, and 0 once it read them', async function () {
    if (process.platform !== 'linux') this.skip();
    const peers: net.Socket[] = [];
    const server = net.createServer((socket) => {
      peers.push(socket);
      socket.pause();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise<void>((resolve) => client.once('connect', resolve));
    await waitFor(() => peers.length === 1, 'the peer');
    client.write(Buffer.alloc(8 * 1024 * 1024));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const held = await kernelSendQueue(client);
    expect(held)
      .to.be.a('number')
      .greaterThan(64 * 1024);
    peers[0]!.resume();
    let now: number | undefined = held;
    await waitFor(() => {
      void kernelSendQueue(client).then((n) => (now = n));
      return now === 0 && client.writableLength === 0;
    }, 'an empty send queue');
    client.destroy();
    peers[0]!.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('is undefined for a socket that is not connected (never an error)', async () => {
    expect(await kernelSendQueue({})).to.equal(undefined);
    expect(await kernelSendQueue({ localAddress: '::1', localPort: 1, remoteAddress: 'fe80::1%eth0', remotePort: 2 })).to.equal(undefined);
  });
});
