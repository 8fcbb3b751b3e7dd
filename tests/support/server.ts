export { type ServerProcess, type StartServerOptions, startServer } from '@collab/server/testing';
