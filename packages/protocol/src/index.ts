export * from './delta.js';
export * from './errors.js';
export * from './ids.js';
export * from './legacy.js';
export * from './limits.js';
export * from './procedures.js';
