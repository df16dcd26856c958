/**
 * ioredis, for connect.ts to import when a command first needs Redis. Through this module
 * because coord's bundle turns a dynamic import of a CommonJS package into its default
 * export only; a static re-export keeps the named one everywhere.
 */
export { Redis } from 'ioredis';
