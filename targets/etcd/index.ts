// The etcd target (docs/etcd.md): what the runner needs to run `--target etcd`.
export { createEtcdTarget, EtcdTarget, type EtcdTargetOptions } from './target.js';
export { etcdAvailable } from './available.js';
export { EtcdClient, type EtcdClientOptions } from './client.js';
