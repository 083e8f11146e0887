// Types of scenario.js (a CommonJS example module), for the TypeScript test that drives it.
export interface ClusterAddresses {
  readonly broker: string;
  readonly worker1: string;
  readonly worker2: string;
  readonly clients: string;
}
export interface ClusterReply {
  /** the id the client sent */
  for: string;
  /** the id the reply carried back */
  reply: string;
  /** the worker that answered ('worker1', 'worker2', 'worker1-restarted') */
  from: string | null;
  client: string;
}
export interface ClientSummary {
  name: string;
  /** requests sent per socket; socket s sent ids `${name}.${s}.0` .. `${name}.${s}.${sent[s] - 1}` */
  sent: number[];
  /** ids that got no reply after every retry */
  failures: string[];
}
export interface ClusterResult {
  addresses: ClusterAddresses;
  namespaces: Record<string, string>;
  frontend: string;
  backend: string;
  /** every reply the clients received, in arrival order */
  replies: ClusterReply[];
  /** replies.length when worker1 was killed */
  killedAt: number;
  /** replies.length when worker1 was restarted */
  restartedAt: number;
  /** replies.length when worker2 was frozen (SIGSTOP) */
  frozenAt: number;
  /** replies.length when worker2 was resumed (SIGCONT) */
  resumedAt: number;
  summaries: ClientSummary[];
  clientExits: { code: number | null; signal: NodeJS.Signals | null }[];
  /** ids worker1 had started on when it was killed that another worker answered after a retry */
  rescued: string[];
  /** ids worker2 worked on after waking that another worker had already answered: its replies were late */
  late: string[];
}
export declare const ADDRESSES: ClusterAddresses;
export declare function runCluster(opts?: { log?: (line: string) => void; deadlineMs?: number; signal?: AbortSignal }): Promise<ClusterResult>;
