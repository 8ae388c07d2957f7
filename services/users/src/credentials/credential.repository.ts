import type { Connection } from 'mongoose';
import {
  documentKey,
  isDuplicateKey,
  outboxUpdate,
  withDocumentLocks,
  type EventEnvelope,
} from '@concierge/kit';
import { credentialModel, type CredentialModel, type CredentialRecord } from './credential.model';
import { setPasswordTokenClaimModel, setPasswordTokenModel } from './credential-token.model';
import { SetPasswordTokenRepository } from './credential-token.repository';
import { refreshTokenModel } from './session.model';
import { RefreshTokenRepository } from './session.repository';
import { userModel, type UserModel } from '../directory/user.model';
import type { User } from '../directory/user.repository';

/** A user's credentials as the domain sees them: plain data without the outbox. */
export type Credential = Omit<CredentialRecord, 'outbox' | 'outboxPending' | 'outboxSeq'>;

/** The fields a credential write may set. */
export type CredentialChange = Partial<
  Pick<
    Credential,
    | 'passwordHash'
    | 'passwordChangedAt'
    | 'failedAttempts'
    | 'lockedUntil'
    | 'windowStartedAt'
    | 'addressLocks'
    | 'knownAddresses'
    | 'globalRoles'
    | 'sessionsRevokedAt'
  >
>;

const PUBLIC = { outbox: 0, outboxPending: 0, outboxSeq: 0 } as const;

/** Reads and writes credentials; returns plain objects. */
export class CredentialRepository {
  constructor(readonly model: CredentialModel) {}

  async findById(userId: string): Promise<Credential | null> {
    return this.model.findById(userId, PUBLIC).lean<Credential>().exec();
  }

  /** Creates the user's empty credentials (no password, no roles) unless they exist. */
  async ensure(userId: string): Promise<void> {
    try {
      await this.model.create({ _id: userId });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  /**
   * Writes `change` and its events in one document update (transactional outbox), holding the
   * document's lock, which the outbox relay takes too. False when the user has no credentials.
   */
  async update(userId: string, change: CredentialChange, events: EventEnvelope[] = []): Promise<boolean> {
    const key = documentKey(this.model.collection.collectionName, userId);
    const outbox = events.length > 0 ? outboxUpdate(events) : null;
    const update = outbox ? { ...outbox, $set: { ...outbox.$set, ...change } } : { $set: change };
    const result = await withDocumentLocks([key], () => this.model.updateOne({ _id: userId }, update).exec());
    return result.matchedCount === 1;
  }
}

/** What sign-in needs to know of a user. */
export type LoginUser = Pick<User, '_id' | 'username' | 'email' | 'displayName' | 'status'>;

const LOGIN_FIELDS = { _id: 1, username: 1, email: 1, displayName: 1, status: 1 } as const;

/** Finds the user a sign-in name belongs to. */
export class LoginDirectory {
  constructor(private readonly users: UserModel) {}

  /**
   * The user whose username, or else whose e-mail, is `login` (already normalised). Two equality
   * reads rather than one $or, which FerretDB would evaluate outside storage; both always, so that
   * a known username costs what an unknown login does.
   */
  async findByLogin(login: string): Promise<LoginUser | null> {
    const [byUsername, byEmail] = await Promise.all([
      this.users.findOne({ username: login }, LOGIN_FIELDS).lean<LoginUser>().exec(),
      this.users.findOne({ email: login }, LOGIN_FIELDS).lean<LoginUser>().exec(),
    ]);
    return byUsername ?? byEmail;
  }

  async findByEmail(email: string): Promise<LoginUser | null> {
    return this.users.findOne({ email }, LOGIN_FIELDS).lean<LoginUser>().exec();
  }
}

/** The stores of credentials, set-password tokens and refresh tokens. */
export interface CredentialStores {
  credentials: CredentialRepository;
  logins: LoginDirectory;
  setPasswordTokens: SetPasswordTokenRepository;
  refreshTokens: RefreshTokenRepository;
}

export function createCredentialStores(db: Connection): CredentialStores {
  return {
    credentials: new CredentialRepository(credentialModel(db)),
    logins: new LoginDirectory(userModel(db)),
    setPasswordTokens: new SetPasswordTokenRepository(
      setPasswordTokenModel(db),
      setPasswordTokenClaimModel(db),
    ),
    refreshTokens: new RefreshTokenRepository(refreshTokenModel(db)),
  };
}

/** Creates the credential collections' indexes. */
export async function initCredentialModels(db: Connection): Promise<void> {
  await credentialModel(db).init();
  await setPasswordTokenModel(db).init();
  await setPasswordTokenClaimModel(db).init();
  await refreshTokenModel(db).init();
}
