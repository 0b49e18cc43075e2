// The stdio target (docs/stdio.md): any system behind an adapter program speaking JSON lines.
export { createStdioTarget, findProgram, StdioTarget, DEFAULT_RESTART_LIMIT, type StdioTargetOptions } from './target.js';
export { StdioClient, completionOf, DEFAULT_CLOSE_GRACE_MS } from './client.js';
export { encodeRequest, parseReply, replySchema, LineSplitter, MAX_LINE_BYTES, type AdapterReply, type AdapterRequest } from './protocol.js';
export { guardedArgv } from './adapter-process.js';
export type { NodeAdapterStats } from './node-adapters.js';
