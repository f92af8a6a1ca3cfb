#!/usr/bin/env node
// API reports: the public surface of every entry point of every publishable package, as API
// Extractor reads it from the built declarations (`dist/**/*.d.ts`), checked in beside the package
// under `api-report/`. A change of the surface shows up as a diff of these files in review.
//
//   node tooling/api-report.mjs --check    fail when a report is missing, stale or left over
//   node tooling/api-report.mjs --update   rewrite the reports (and delete left-over ones)
//
// Packages and entry points are found from the manifests (`exports` with a `types` target), so a
// new package or subpath needs no configuration here: build it and run `pnpm api:update`.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { publishableManifests, stripSourceCondition } from './manifests.mjs';

const root = join(import.meta.dirname, '..');
const { Extractor, ExtractorConfig, ExtractorLogLevel } = createRequire(import.meta.url)(
  '@microsoft/api-extractor',
);

export const REPORT_FOLDER = 'api-report';

/** `{ name, subpath, types, reportFileName }` for every entry point with declarations. */
export function entryPoints({ pkg }) {
  const exportsMap = stripSourceCondition(pkg.exports ?? { '.': { types: pkg.types } });
  const unscoped = pkg.name.replace(/^@[^/]+\//, '');
  return Object.entries(exportsMap)
    .map(([subpath, target]) => ({ subpath, types: typeof target === 'object' ? target?.types : undefined }))
    .filter(({ types }) => typeof types === 'string')
    .map(({ subpath, types }) => ({
      subpath,
      types,
      reportFileName:
        subpath === '.'
          ? `${unscoped}.api.md`
          : `${unscoped}.${subpath.slice(2).replaceAll('/', '.')}.api.md`,
    }));
}

/** The settings of one API Extractor run; only the report is produced. */
function configFor(dir, entry, reportTempFolder) {
  const projectFolder = join(root, dir);
  const quiet = { logLevel: ExtractorLogLevel.None, addToApiReportFile: false };
  const inReport = { logLevel: ExtractorLogLevel.None, addToApiReportFile: true };
  return ExtractorConfig.prepare({
    configObjectFullPath: undefined,
    packageJsonFullPath: join(projectFolder, 'package.json'),
    configObject: {
      projectFolder,
      mainEntryPointFilePath: join(projectFolder, entry.types),
      bundledPackages: [],
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: 'ES2022',
            lib: ['ES2023', 'ESNext.Disposable'],
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            skipLibCheck: true,
            types: ['node'],
          },
          files: [join(projectFolder, entry.types)],
        },
      },
      apiReport: {
        enabled: true,
        reportFileName: entry.reportFileName,
        reportFolder: join(projectFolder, REPORT_FOLDER),
        reportTempFolder,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      newlineKind: 'lf',
      messages: {
        compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Warning } },
        // Release tags (@public/@beta) are not used here. Doc comments and types that public
        // signatures use without exporting them are checked by TypeDoc (`pnpm docs`); in the
        // report those notes would carry source line numbers, so every edit that shifts a line
        // would make the check fail without any change of the API.
        extractorMessageReporting: {
          default: inReport,
          'ae-missing-release-tag': quiet,
          'ae-unresolved-link': quiet,
          'ae-undocumented': quiet,
          'ae-forgotten-export': quiet,
        },
        tsdocMessageReporting: { default: quiet },
      },
    },
  });
}

function main() {
  const mode = process.argv.includes('--update')
    ? 'update'
    : process.argv.includes('--check')
      ? 'check'
      : undefined;
  if (mode === undefined) {
    console.error('usage: node tooling/api-report.mjs --check | --update');
    process.exit(2);
  }
  const temp = mkdtempSync(join(tmpdir(), 'mosaik-api-'));
  const problems = [];
  let count = 0;
  try {
    for (const manifest of publishableManifests()) {
      const folder = join(root, manifest.dir, REPORT_FOLDER);
      const entries = entryPoints(manifest);
      for (const entry of entries) {
        if (!existsSync(join(root, manifest.dir, entry.types))) {
          problems.push(
            `${manifest.pkg.name}${entry.subpath.slice(1)}: ${entry.types} is not built (run \`pnpm build\`)`,
          );
          continue;
        }
        mkdirSync(folder, { recursive: true });
        const existed = existsSync(join(folder, entry.reportFileName));
        const messages = [];
        const result = Extractor.invoke(configFor(manifest.dir, entry, temp), {
          localBuild: mode === 'update',
          messageCallback: (message) => {
            // console-* messages only narrate what happened to the report file (see apiReportChanged).
            const narration = message.messageId.startsWith('console-');
            if (
              !narration &&
              (message.logLevel === ExtractorLogLevel.Error || message.logLevel === ExtractorLogLevel.Warning)
            ) {
              messages.push(message.formatMessageWithLocation(root));
            }
            message.handled = true;
          },
        });
        count++;
        const report = relative(root, join(folder, entry.reportFileName));
        if (result.errorCount > 0 || messages.length > 0) {
          problems.push(`${report}: API Extractor failed\n    ${messages.join('\n    ')}`);
        } else if (result.apiReportChanged) {
          problems.push(
            mode === 'update'
              ? `${report}: ${existed ? 'updated' : 'created'}`
              : `${report}: ${existed ? 'the public API changed' : 'missing (a new entry point)'}; run \`pnpm api:update\``,
          );
        }
      }
      // Reports of entry points that no longer exist.
      const expected = new Set(entries.map((e) => e.reportFileName));
      if (existsSync(folder)) {
        for (const file of readdirSync(folder).filter((f) => f.endsWith('.api.md') && !expected.has(f))) {
          const report = relative(root, join(folder, file));
          if (mode === 'update') {
            rmSync(join(folder, file));
            problems.push(`${report}: deleted (no such entry point)`);
          } else {
            problems.push(`${report}: no such entry point any more; run \`pnpm api:update\``);
          }
        }
      }
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  if (mode === 'update') {
    for (const line of problems) console.log(line);
    const failed = problems.filter((p) => !/: (updated|created|deleted)/.test(p));
    if (failed.length > 0) process.exit(1);
    console.log(`${count} API reports up to date`);
    return;
  }
  if (problems.length > 0) {
    console.error(`API check failed:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`API check passed (${count} entry points)`);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) main();
