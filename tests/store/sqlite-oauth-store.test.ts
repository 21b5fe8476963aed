/** The OAuth record and secret store contracts on the SQLite backend. */
import { describeOAuthStoreContract } from './oauth-store-contract.js';
import { sqliteBackend } from './store-backends.js';

describeOAuthStoreContract(sqliteBackend());
