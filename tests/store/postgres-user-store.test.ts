/** The user store contract on the PostgreSQL backend (a fresh database for this file). */
import { postgresBackend } from './store-backends.js';
import { describeUserStoreContract } from './user-store-contract.js';

describeUserStoreContract(postgresBackend());
