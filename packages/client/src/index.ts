export { Connection, ConnectionError } from './connection.ts';
