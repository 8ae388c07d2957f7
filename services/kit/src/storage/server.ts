import type { Connection } from 'mongoose';

/**
 * Which server a connection talks to. FerretDB 1.x pushes only a top-level equality on a scalar
 * down to its back end; `$in`, `$or`, ranges and sorts are evaluated in Go over every document of
 * the collection. MongoDB serves all of them from indexes. The storage helpers in this folder pick
 * the query shape from this, so that domain code and repositories never ask.
 */
export type MongoServer = 'mongodb' | 'ferretdb';

/** How the server is chosen: `auto` asks the server's buildInfo once per connection. */
export type MongoServerSetting = MongoServer | 'auto';

const servers = new WeakMap<Connection, MongoServer>();

/** FerretDB answers buildInfo with a `ferretdbVersion` field; MongoDB does not. */
export async function detectServer(connection: Connection): Promise<MongoServer> {
  const info = await connection.db!.admin().command({ buildInfo: 1 });
  return typeof info.ferretdbVersion === 'string' ? 'ferretdb' : 'mongodb';
}

export function rememberServer(connection: Connection, server: MongoServer): void {
  servers.set(connection, server);
}

/**
 * The server behind a connection opened by connectMongo. A connection opened otherwise counts as
 * FerretDB: its query shapes are correct on both servers, only slower on MongoDB.
 */
export function serverOf(connection: Connection): MongoServer {
  return servers.get(connection) ?? 'ferretdb';
}
