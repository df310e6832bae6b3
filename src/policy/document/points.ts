import type { Stage } from '../../core/types.js';

/**
 * The eight intervention points as the policy format sees them: what a transform rewrites at
 * each, which points decide a tool (so `allowed_tools`/`denied_tools` hold there), and what a
 * transform path may name. Pure data and checks, shared by the schema (load-time path checks)
 * and the evaluator (document checks, defaults).
 */

/** What a transform rewrites at each point: the call's arguments, the inbound text, or the output. */
export type Subject = 'input' | 'args' | 'output';

/**
 * The subject of each point. The same table as the kernel's `SUBJECT` (src/kernel/transform.ts),
 * which applies transforms; a path naming another subject is refused at load.
 */
export const SUBJECT_OF: Readonly<Record<Stage, Subject>> = {
  agent_startup: 'input',
  pre_input: 'input',
  pre_model_call: 'input',
  post_model_call: 'output',
  pre_tool: 'args',
  post_tool: 'output',
  pre_output: 'output',
  agent_shutdown: 'input',
};

/** Points that concern one tool: the tool lists hold there, and the request names the tool. */
export function isToolPoint(stage: Stage): boolean {
  return stage === 'pre_tool' || stage === 'post_tool';
}

const SUBJECTS: ReadonlySet<string> = new Set<Subject>(['input', 'args', 'output']);
const UNSAFE_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Why a transform field path cannot be used at `stage`, with a hint; null when it can. */
export interface PathProblem {
  message: string;
  hint: string;
}

/**
 * Checks one `redact` or `set` path of a transform rule at its stage. Accepted: dotted names
 * relative to the stage's subject (`ssn`, `customer.email`), `*` for any key or index
 * (`rows.*.card`), and a leading subject name that matches the stage (`args.ssn` at pre_tool,
 * `output.email` at post_tool, `input.text` at input). Refused: empty segments, `$`-rooted
 * paths (the Agent Control Specification's `$policy_target.x` / `$snap.x`, which our format does
 * not read and would otherwise write as a literal key), prototype keys, and a leading subject
 * name of another stage (`output.x` at pre_tool), which would silently write a field of that name
 * inside this stage's subject.
 */
export function transformPathProblem(path: string, stage: Stage): PathProblem | null {
  const subject = SUBJECT_OF[stage];
  const segments = path.split('.');
  if (segments.some((segment) => segment === '')) {
    return { message: `field path '${path}' has an empty segment`, hint: `write dotted field names relative to the ${subject}, e.g. 'customer.email'` };
  }
  const rooted = segments.find((segment) => segment.startsWith('$'));
  if (rooted !== undefined) {
    const rest = segments.slice(segments[0] === '$policy_target' ? 1 : segments.length).join('.');
    return {
      message: `field path '${path}' starts a segment with '$' ('${rooted}'): paths are relative to the stage's subject (${subject}), not rooted`,
      hint: rest ? `write '${rest}' for the subject's field` : `name a field of the ${subject}, e.g. 'text'; nothing outside the ${subject} can be transformed at ${stage}`,
    };
  }
  const unsafe = segments.find((segment) => UNSAFE_SEGMENTS.has(segment));
  if (unsafe !== undefined) return { message: `field path '${path}' may not use '${unsafe}'`, hint: 'prototype keys are refused so a transform cannot reach object prototypes' };
  const head = segments[0] as string;
  if (SUBJECTS.has(head) && head !== subject) {
    const rest = segments.slice(1).join('.');
    return {
      message: `field path '${path}' names the ${head}, but at ${stage} a transform rewrites the ${subject}`,
      hint: `write the path relative to the ${subject}${rest ? ` ('${rest}')` : ''}, or '${subject}.${path}' for a field named '${head}' inside the ${subject}`,
    };
  }
  return null;
}
