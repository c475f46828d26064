import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const axeSource = readFileSync(createRequire(__filename).resolve('axe-core/axe.min.js'), 'utf8');

/** One rule broken on the page, as axe reports it, with the elements that break it. */
export interface AxeProblem {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

interface AxeResults {
  violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }>;
}

/** Runs axe-core (WCAG 2.x A and AA rules) on the page as it is now; returns the serious and critical problems. */
export async function seriousAxeProblems(page: Page): Promise<AxeProblem[]> {
  // Evaluated through the debugger, as a script tag would break the page's Content Security Policy.
  await page.evaluate(`${axeSource}\n;true`);
  const results = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(options: unknown): Promise<AxeResults> } }).axe;
    return axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
  });
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({
      id: violation.id,
      impact: violation.impact ?? '',
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(' ')),
    }));
}
