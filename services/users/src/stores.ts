import type { Connection } from 'mongoose';
import { auditModel } from './audit/audit.model';
import { AuditRepository } from './audit/audit.repository';
import { createCredentialStores, type CredentialStores } from './credentials/credential.repository';
import { SigningKeyRepository } from './credentials/signing-key.repository';
import { SigningKeys } from './credentials/signing-keys';
import { userModel } from './directory/user.model';
import { UserRepository } from './directory/user.repository';
import { importJobModels } from './import/import-job.model';
import { ImportJobRepository } from './import/import-job.repository';
import { organizationModel } from './organizations/organization.model';
import { OrganizationRepository } from './organizations/organization.repository';

/** Every store of the users service, built once per process and passed down. */
export interface UsersStores {
  users: UserRepository;
  orgs: OrganizationRepository;
  audit: AuditRepository;
  importJobs: ImportJobRepository;
  credentials: CredentialStores;
  keys: SigningKeys;
}

/** `sealKey` opens the signing keys; commands that sign no token may leave it out. */
export function createStores(db: Connection, secrets: { sealKey?: Buffer } = {}): UsersStores {
  return {
    users: new UserRepository(userModel(db)),
    orgs: new OrganizationRepository(organizationModel(db)),
    audit: new AuditRepository(auditModel(db)),
    importJobs: new ImportJobRepository(importJobModels(db)),
    credentials: createCredentialStores(db),
    keys: new SigningKeys(new SigningKeyRepository(db), { sealKey: secrets.sealKey }),
  };
}
