/**
 * Prompts that help a person start (issue 13): exploring the database, answering a business question, and for the
 * demo its own sample questions. Each is a user message for the model that names the environment's tools and
 * dialect; none reads the database itself.
 */
import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import type { Environment } from '../environments/environment.js';

/** The questions the demo's data is made to answer (README, "Ask it things like"). */
export const DEMO_QUESTIONS = [
  'revenue by product category for Q4 2024',
  'failed transactions in the last hour',
  'customer acquisition cost by region',
  'top 10 customers by revenue',
  'customers from California',
] as const;

// Built once: a server is built per stateless request.
const QUESTION_ARGS = z.object({ question: z.string().min(1).max(2_000).describe('The question, in plain words') });
const DEMO_QUESTION_ARGS = z.object({ question: z.enum(DEMO_QUESTIONS).describe('One of the demo\'s questions') });

export function registerStarterPrompts(server: McpServer, environment: Environment): void {
  const database = `the ${environment.name} database (${environment.dialect.displayName}${environment.config.readOnly ? ', read-only' : ''})`;
  const user = (text: string) => ({ messages: [{ role: 'user' as const, content: { type: 'text' as const, text } }] });

  server.registerPrompt('explore_database', {
    title: 'Explore this database',
    description: `What ${database} holds, how its tables relate, and what it can answer`,
  }, () => user([
    `Explore ${database} for me.`,
    'Call list_tables first (if the list comes in pages, its first answer counts the tables per schema: look at the largest schemas), then describe_table for the tables that look central (several at once with also).',
    'Tell me in a few paragraphs what the data is about, how the main tables relate (their foreign keys), and how much data there is (estimated rows).',
    'End with three questions this database could answer well. Run execute_sql only for small aggregates; never list whole tables.',
  ].join('\n')));

  server.registerPrompt('answer_business_question', {
    title: 'Answer a business question',
    description: `Answer a question from ${database}, showing the SQL`,
    argsSchema: QUESTION_ARGS,
  }, ({ question }) => user([
    `Answer this question from ${database}: ${question}`,
    `Find the tables it needs (list_tables with name_contains, then describe_table), write one ${environment.dialect.displayName} statement with execute_sql (aggregate in SQL; check its plan with explain: true if it may be slow), and answer in plain words.`,
    'Show the SQL you ran, say which assumptions you made (time ranges, what counts as revenue, how ties were broken), and say so if the data cannot answer the question.',
  ].join('\n')));

  if (!environment.config.isDemo) return;
  server.registerPrompt('demo_questions', {
    title: 'Try the demo',
    description: 'The questions the demo\'s sales data is made to answer',
    argsSchema: DEMO_QUESTION_ARGS,
  }, ({ question }) => user(`Using ${database}, answer: ${question}. Look at the tables first (list_tables, describe_table), run one statement with execute_sql, and show the SQL with the answer.`));
}
