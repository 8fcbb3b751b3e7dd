export * from './delta.js';
export * from './errors.js';
export * from './history.js';
export * from './ids.js';
export * from './issues.js';
export * from './legacy.js';
export * from './limits.js';
export * from './procedures.js';
