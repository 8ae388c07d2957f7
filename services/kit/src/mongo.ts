import mongoose, { type Connection } from 'mongoose';
import { detectServer, rememberServer, type MongoServerSetting } from './storage/server';

/**
 * Opens a connection of its own (not mongoose's global one), so a process or a test can hold
 * several databases, and finds out once which server answers (see storage/server.ts). Code stays
 * within what FerretDB v1 and MongoDB 7 both support: no transactions, change streams, $lookup or
 * TTL indexes.
 */
export async function connectMongo(uri: string, server: MongoServerSetting = 'auto'): Promise<Connection> {
  const connection = mongoose.createConnection(uri, {
    serverSelectionTimeoutMS: 10_000,
    // FerretDB has no sessions; the driver must not try to use them implicitly for retryable writes.
    retryWrites: false,
    autoIndex: true,
  });
  await connection.asPromise();
  rememberServer(connection, server === 'auto' ? await detectServer(connection) : server);
  return connection;
}

/** True when the database answers a ping. */
export async function mongoReady(connection: Connection): Promise<boolean> {
  try {
    if (connection.readyState !== 1 || !connection.db) return false;
    await connection.db.admin().command({ ping: 1 });
    return true;
  } catch {
    return false;
  }
}
