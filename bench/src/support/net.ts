export { freePort } from '@citus/kit';
