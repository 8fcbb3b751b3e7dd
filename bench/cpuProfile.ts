/**
 * Prints the frames with the most self time in a V8 CPU profile (`node --cpu-prof`), with their share of
 * all samples: `node --import tsx cpuProfile.ts <file.cpuprofile> [top=25]`.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const [file, top = '25'] = process.argv.slice(2);
if (!file) {
  console.error('usage: cpuProfile.ts <file.cpuprofile> [top]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const frameOf = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
const selfMicros = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  // A sample's time is the delta to the next one.
  const micros = profile.timeDeltas[i + 1] ?? 0;
  const frame = frameOf.get(id);
  const name = frame
    ? `${frame.functionName || '(anonymous)'} ${frame.url ? `${basename(frame.url)}:${frame.lineNumber + 1}` : ''}`
    : '?';
  selfMicros.set(name, (selfMicros.get(name) ?? 0) + micros);
  total += micros;
});
const idle = selfMicros.get('(idle) ') ?? 0;
console.log(
  `${file}: ${(total / 1e6).toFixed(1)} s sampled, ${((100 * (total - idle)) / total).toFixed(1)} % busy`,
);
const busy = total - idle;
for (const [name, micros] of [...selfMicros]
  .filter(([n]) => n !== '(idle) ')
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(top))) {
  console.log(
    `${((100 * micros) / busy).toFixed(1).padStart(6)} %  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${name}`,
  );
}
