// TypeDoc plugin: every top-level export of every entry point carries a doc comment. TypeDoc's own
// `notDocumented` check cannot be limited to top-level exports (asking for functions also asks for
// every method of every class), so this check does it; with `treatWarningsAsErrors` a missing
// comment fails `pnpm docs`. Members are documented where they need it, as reviews decide.
import { Converter, ReflectionKind } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    const exports = [];
    const collect = (container) => {
      for (const child of container.children ?? []) {
        if (child.kindOf(ReflectionKind.Module)) collect(child);
        else if (!child.kindOf(ReflectionKind.Reference)) exports.push(child);
      }
    };
    collect(context.project);
    for (const reflection of exports) {
      const signatures = reflection.signatures ?? reflection.type?.declaration?.signatures ?? [];
      if (reflection.hasComment() || signatures.some((s) => s.hasComment())) continue;
      const source = reflection.sources?.[0];
      const where = source ? ` (${source.fileName}:${source.line})` : '';
      app.logger.warn(
        `${reflection.getFriendlyFullName()} (${ReflectionKind[reflection.kind]}) is exported without a doc comment${where}`,
      );
    }
  });
}
