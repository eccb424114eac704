// Edits of a role's template statements, for tests that take one permission away and watch the
// matching step fail. They work on the statements as synthesized (intrinsics unresolved), before
// the local stack resolves and puts them (LocalIam.apply).
import type { PolicyStatement } from '../../scripts/local/iam-template.js';
import type { StatementEdit } from './local-stack.js';

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/**
 * Takes `action` away: everywhere, or only on the resources whose template text contains
 * `onResource` (e.g. '/live/*'), splitting a statement so its other actions and resources stay.
 * Throws when the template grants no such thing, so a test cannot pass by removing nothing.
 */
export function withoutAction(action: string, onResource?: string): StatementEdit {
  return (statements) => {
    let removed = 0;
    const result = statements.flatMap((statement): PolicyStatement[] => {
      const actions = list(statement.Action);
      if (statement.Effect !== 'Allow' || !actions.includes(action)) return [statement];
      const others = actions.filter((a) => a !== action);
      const resources = list(statement.Resource);
      const hit = onResource === undefined ? resources : resources.filter((r) => JSON.stringify(r).includes(onResource));
      if (hit.length === 0) return [statement];
      removed++;
      const missed = resources.filter((r) => !hit.includes(r));
      return [...(others.length > 0 ? [{ ...statement, Action: others, Resource: hit }] : []), ...(missed.length > 0 ? [{ ...statement, Resource: missed }] : [])];
    });
    if (removed === 0) throw new Error(`the template grants no ${action}${onResource === undefined ? '' : ` on a resource matching ${onResource}`}`);
    return result;
  };
}

/** Removes every statement that grants `action` (the statement as a whole). Throws when none does. */
export function withoutStatementGranting(action: string): StatementEdit {
  return (statements) => {
    const kept = statements.filter((statement) => !list(statement.Action).includes(action));
    if (kept.length === statements.length) throw new Error(`no statement grants ${action}`);
    return kept;
  };
}
