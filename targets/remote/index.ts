// Remote clusters over ssh (docs/remote.md): what the runner needs for `--cluster FILE`.
export { readClusterFile, parseClusterFile, clusterFileSchema, WORK_DIR_PLACEHOLDERS, type ClusterSpec, type ClusterNode } from './cluster-file.js';
export { createRemoteCluster, lossCommand, sshHosts, workDirOf, type RemoteCluster, type RemoteClusterOptions, type RemoteHost } from './cluster.js';
