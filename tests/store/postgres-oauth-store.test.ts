/** The OAuth record and secret store contracts on the PostgreSQL backend (a fresh database for this file). */
import { describeOAuthStoreContract } from './oauth-store-contract.js';
import { postgresBackend } from './store-backends.js';

describeOAuthStoreContract(postgresBackend());
