/**
 * A host name that resolves to 127.0.0.1 for everything on this machine (Node, curl, certbot, and pebble's
 * validator, which asks the system resolver): one marked line in /etc/hosts, removed again by the returned
 * function or when the process exits. Only that line is touched, so entries others add meanwhile stay.
 */
import fs from 'node:fs';

const HOSTS = '/etc/hosts';

export function addHostsEntry(name: string, owner: string): () => void {
  if (!/^[a-z0-9.-]+$/.test(name)) throw new Error(`not a host name: ${name}`);
  const line = `127.0.0.1 ${name} # added by ${owner}, removed when it ends`;
  const withoutOurs = () => fs.readFileSync(HOSTS, 'utf8').split('\n').filter((l) => l !== line);
  // Written in place, not replaced: /etc/hosts is often a bind mount (containers), which a rename would break.
  const current = withoutOurs().join('\n');
  fs.writeFileSync(HOSTS, `${current}${current.endsWith('\n') || current === '' ? '' : '\n'}${line}\n`);
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    process.removeListener('exit', remove);
    fs.writeFileSync(HOSTS, withoutOurs().join('\n'));
  };
  process.once('exit', remove);
  return remove;
}
