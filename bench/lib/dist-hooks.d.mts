// The part of dist-hooks.mjs that TypeScript imports (bench/lib/child.ts).
export declare function distEntryOf(specifier: string): { name: string; entry: string } | undefined;
