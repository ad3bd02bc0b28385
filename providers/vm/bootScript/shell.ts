// Bash text helpers shared by the boot script's sections.

const TEMPLATE_END = "RD_TEMPLATE_END";
const SAFE = /^[A-Za-z0-9_./:@%+=,-]*$/;

/** A bash word: bare when it is safe, else single-quoted. */
export function shellQuote(value: string): string {
    if (value !== "" && SAFE.test(value)) return value;
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A quoted here-document carrying `template` verbatim (no expansion). */
export function heredoc(template: string): string {
    if (template.split("\n").includes(TEMPLATE_END)) throw new Error(`a template contains the line ${TEMPLATE_END}`);
    return `<<'${TEMPLATE_END}'\n${template.replace(/\n$/, "")}\n${TEMPLATE_END}`;
}

/** Indents every non-empty line. */
export function indent(text: string, by = "    "): string {
    return text.split("\n").map((l) => (l === "" ? l : by + l)).join("\n");
}
