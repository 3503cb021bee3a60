import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { certificateFiles } from '../../lib/config/certificateFiles';
import { createLogger } from '../../lib/log/logger';
import { DevoSender } from '../../lib/sinks/devoSender';
import { createThrowawayPki } from '../../lib/simulators/throwawayPki';
import { sharedPki } from '../helpers/pki';
import { RelayLog } from '../helpers/relayLog';
import { tempDir } from '../helpers/tempDir';
import { waitFor } from '../helpers/waitFor';

describe('certificates replaced on disk (no restart)', function () {
  this.timeout(30_000);

  it('are read again at the next connection attempt: a rejected client certificate, replaced, delivers', async () => {
    const pki = await sharedPki();
    const other = await createThrowawayPki();
    const { dir, remove } = await tempDir();
    const relay = await RelayLog.start(pki, (body) => body['n']);
    const files = { ca: path.join(dir, 'chain.crt'), cert: path.join(dir, 'domain.crt'), key: path.join(dir, 'domain.key') };
    await writeFile(files.ca, pki.ca.cert);
    // A client certificate of another CA: the relay refuses it.
    await writeFile(files.cert, other.client.cert);
    await writeFile(files.key, other.client.key);
    const lines: string[] = [];
    const sender = new DevoSender({
      host: 'localhost',
      port: relay.port,
      ca: pki.ca.cert,
      cert: other.client.cert,
      key: other.client.key,
      reloadCredentials: certificateFiles(files),
      backoffInitialMs: 50,
      backoffMaxMs: 200,
      probationMs: 50,
      logger: createLogger({ write: (l) => lines.push(l) }),
    });
    try {
      const receipt = sender.send(Buffer.from('<14>2024-01-01T00:00:00.000Z h my.app.tag: {"n":1}\n'));
      await waitFor(
        () => lines.filter((l) => / ERROR .* -> DEVO_(TLS_CLIENT_CERT_REJECTED|CLOSED_AFTER_HANDSHAKE): /.test(l)).length >= 2,
        'the refused certificate, reported',
      );
      expect(relay.unique).to.equal(0);
      await writeFile(files.cert, pki.client.cert);
      await writeFile(files.key, pki.client.key);
      await receipt.delivered;
      expect(relay.unique).to.equal(1);
    } finally {
      await sender.close(1000);
      await relay.stop();
      await remove();
    }
  });

  it('reads nothing while the files stay as they are', async () => {
    const { dir, remove } = await tempDir();
    try {
      const file = path.join(dir, 'chain.crt');
      await writeFile(file, 'one');
      const reload = certificateFiles({ ca: file });
      expect(reload()).to.equal(undefined);
      await writeFile(file, 'two, longer');
      expect(reload()?.ca?.toString()).to.equal('two, longer');
      expect(reload()).to.equal(undefined);
    } finally {
      await remove();
    }
  });
});
