// Which runtime-spec versions runts accepts in config.json's ociVersion.

/** The newest runtime-spec version runts implements. */
export const SPEC_VERSION = '1.3.0';
export const MIN_SPEC_VERSION = '1.0.0';
const MAX_MINOR = 3;

interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease: string;
}

export function parseSemVer(text: string): SemVer | undefined {
  const m = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(text);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), prerelease: m[4] ?? '' };
}

/**
 * Returns why the version is not accepted, or undefined when it is. Every
 * 1.x release from 1.0.0 to 1.3.x is accepted (their pre-releases too, but
 * not those of 1.0.0, which precede it).
 */
export function checkOciVersion(text: string): string | undefined {
  const v = parseSemVer(text);
  if (!v) return `"${text}" is not a SemVer version (expected something like "${SPEC_VERSION}")`;
  const tooOld = v.major < 1 || (v.major === 1 && v.minor === 0 && v.patch === 0 && v.prerelease !== '');
  const tooNew = v.major > 1 || (v.major === 1 && v.minor > MAX_MINOR);
  if (tooOld || tooNew) {
    return `version "${text}" is not supported: runts implements runtime-spec ${MIN_SPEC_VERSION} to 1.${MAX_MINOR}.x`;
  }
  return undefined;
}
