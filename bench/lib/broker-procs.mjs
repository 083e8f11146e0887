// The broker case's processes: a broker and its workers for a library (or the node:net floor).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BROKER_WORKERS } from './plan.mjs';
import { NodeChild } from './procs.mjs';

const childDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'child');

/**
 * Starts the broker process for `name` and its worker processes, each connected to its backend.
 * @param {'ours' | 'zeromqjs' | 'netfloor'} name
 * @returns {Promise<{ frontend: string, procs: NodeChild[] }>} procs: the broker, then its workers
 */
export async function startBroker(name) {
  const broker = new NodeChild(path.join(childDir, 'broker.mjs'), [name], `${name} broker`);
  const procs = [broker];
  const { endpoints } = await broker.next(30_000);
  for (let i = 0; i < BROKER_WORKERS; i++) {
    const worker = new NodeChild(path.join(childDir, 'worker.mjs'), [name, endpoints.backend], `${name} worker ${i + 1}`);
    procs.push(worker);
    await worker.next(30_000);
  }
  return { frontend: endpoints.frontend, procs };
}
