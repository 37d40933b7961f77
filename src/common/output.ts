/** Where commands and views write, injectable so they are tested without a terminal. */
export interface Output {
  out(text: string): void;
  /** Exactly these characters (terminal control sequences), no newline added. */
  write(text: string): void;
  err(text: string): void;
  isTTY: boolean;
}

export const processOutput: Output = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  write: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  get isTTY() {
    return Boolean(process.stdout.isTTY);
  },
};
