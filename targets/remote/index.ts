// Remote clusters over ssh (docs/remote.md): what the runner needs for `--cluster FILE`.
export { readClusterFile, parseClusterFile, clusterFileSchema, type ClusterSpec, type ClusterNode } from './cluster-file.js';
export { createRemoteCluster, type RemoteCluster, type RemoteClusterOptions } from './cluster.js';
export { RemoteEtcdTarget, type RemoteHost, type RemoteTargetOptions } from './target.js';
export { COMMAND_NAMES, TARGET_DEFAULTS, REMOTE_TARGET_TYPES, type CommandName } from './defaults.js';
export { PLACEHOLDERS } from './placeholders.js';
