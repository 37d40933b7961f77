// The build starts from an empty dist/, so a file removed from src/ never ships from an old build.
import { rmSync } from 'node:fs';

rmSync(new URL('../dist/', import.meta.url), { recursive: true, force: true });
