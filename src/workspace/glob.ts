/**
 * Scope globs of a work package (`inputs.files`), relative to the repository root:
 *   `*`  any characters within one path segment      `src/*.ts`
 *   `**` any number of whole segments, including none `src/**` , `**\/index.ts`
 *   `?`  one character within a segment
 *   anything else is literal; a trailing `/` is dropped.
 * A pattern covers a path when it matches the path or one of its parent directories, so a plain
 * directory (`src/workspace`) covers everything inside it, as it would in .gitignore.
 */
export function globToRegExp(pattern: string): RegExp {
  const segments = normalisePattern(pattern).split('/');
  let re = '';
  segments.forEach((seg, i) => {
    const last = i === segments.length - 1;
    if (seg === '**') {
      // Zero or more whole segments; as the last segment, anything below.
      re += last ? '.*' : '(?:[^/]+/)*';
      return;
    }
    for (const ch of seg) {
      if (ch === '*') re += '[^/]*';
      else if (ch === '?') re += '[^/]';
      else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    if (!last) re += '/';
  });
  return new RegExp(`^${re}$`);
}

function normalisePattern(pattern: string): string {
  let p = pattern.trim().replace(/\\/g, '/');
  while (p.startsWith('./')) p = p.slice(2);
  p = p.replace(/^\/+/, '').replace(/\/+$/, '').replace(/\/{2,}/g, '/');
  return p === '' || p === '.' ? '**' : p;
}

export function normalisePath(path: string): string {
  let p = path.replace(/\\/g, '/');
  while (p.startsWith('./')) p = p.slice(2);
  return p.replace(/^\/+/, '').replace(/\/+$/, '');
}

/** A predicate for "is this repository-relative path inside any of the globs". */
export function compileGlobs(globs: readonly string[]): (path: string) => boolean {
  const res = globs.filter((g) => g.trim() !== '').map(globToRegExp);
  return (path) => {
    const p = normalisePath(path);
    const parts = p.split('/');
    // The path itself, then each parent directory, so directory patterns cover their contents.
    for (let n = parts.length; n > 0; n--) {
      const candidate = n === parts.length ? p : parts.slice(0, n).join('/');
      if (res.some((re) => re.test(candidate))) return true;
    }
    return false;
  };
}
