import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Calls `onChange` after `file` changes, once per burst of changes (`debounceMs` quiet time).
 *
 * Watches the file's folder rather than the file: editors, `sed -i`, Kubernetes ConfigMaps and
 * Ansible replace the file by renaming a new one over it, which ends a watch on the old inode.
 * `node:fs` watch is enough for one folder on every platform we run on, so no dependency
 * (chokidar) is needed. Returns a function that stops watching.
 */
export function watchFile(file: string, onChange: () => void, options: { debounceMs: number; onError: (error: Error) => void }): () => void {
  const name = basename(file);
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
    if (changed !== null && changed !== name && !changed.startsWith(`..`)) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, options.debounceMs);
    timer.unref();
  });
  watcher.on('error', options.onError);
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
