// Simulator rules are edited through the admin API and the console; a rule the simulator refuses
// is the client's mistake in both, so it answers 400 with the simulator's own words.
import { errors } from '../core/errors.js';

export function ruleErrorsAsBadRequest(isRuleError: (err: unknown) => err is Error) {
  return async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      if (isRuleError(err)) throw errors.badRequest(err.message);
      throw err;
    }
  };
}
