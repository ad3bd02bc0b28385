// The documentation as code: every fenced block in README.md, docs/**/*.md and the examples'
// README.md files is checked, and every relative link between them resolves.
//
// - ```ts / ```typescript: type-checked with the TypeScript compiler API, all snippets in one
//   program (fast), each as its own module. "redis-deployment" and "redis-deployment/providers/*"
//   resolve to this repository's source, so a snippet stops compiling when an argument or output
//   it uses is renamed. A block preceded by `<!-- snippet: args -->` is the body of a
//   RedisDeploymentArgs object literal (`cfg`, a pulumi.Config, is declared for it); one preceded
//   by `<!-- snippet: fragment -->` is only parsed.
// - ```sh / ```bash: `bash -n`; a block preceded by `<!-- snippet: run -->` is also run here
//   (only quick, side-effect-free commands such as `--help` are marked so) and must exit 0.
// - ```json: parses.
// - [text](relative/path#anchor): the file exists; an anchor into a .md file names a heading.
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "../..");

interface Block {
    file: string;
    /** 1-based line of the opening fence. */
    line: number;
    lang: string;
    marker?: string;
    code: string;
}

function markdownFiles(): string[] {
    const files = ["README.md"];
    const walk = (dir: string) => {
        for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
            const rel = path.join(dir, entry.name);
            if (entry.isDirectory()) walk(rel);
            else if (entry.name.endsWith(".md")) files.push(rel);
        }
    };
    if (fs.existsSync(path.join(ROOT, "docs"))) walk("docs");
    for (const example of fs.readdirSync(path.join(ROOT, "examples"))) {
        const readme = path.join("examples", example, "README.md");
        if (fs.existsSync(path.join(ROOT, readme))) files.push(readme);
    }
    return files.sort();
}

const FILES = markdownFiles();
const TEXT = new Map(FILES.map((f) => [f, fs.readFileSync(path.join(ROOT, f), "utf8")]));

function blocksOf(file: string): Block[] {
    const lines = TEXT.get(file)!.split("\n");
    const blocks: Block[] = [];
    for (let i = 0; i < lines.length; i++) {
        const open = /^(\s*)(```+|~~~+)\s*([\w-]*)/.exec(lines[i]);
        if (!open) continue;
        const [, indent, fence, lang] = open;
        let marker: string | undefined;
        for (let j = i - 1; j >= 0 && j >= i - 3; j--) {
            const m = /^\s*<!--\s*snippet:\s*([\w-]+)\s*-->\s*$/.exec(lines[j]);
            if (m) { marker = m[1]; break; }
            if (lines[j].trim() !== "") break;
        }
        const body: string[] = [];
        let j = i + 1;
        while (j < lines.length && !(lines[j].trim().startsWith(fence) && lines[j].trim().replace(/[`~]/g, "") === "")) {
            body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j]);
            j++;
        }
        assert.ok(j < lines.length, `${file}:${i + 1}: a code block is never closed`);
        blocks.push({ file, line: i + 1, lang: lang.toLowerCase(), marker, code: body.join("\n") });
        i = j;
    }
    return blocks;
}

const BLOCKS = FILES.flatMap(blocksOf);
const where = (b: Block) => `${b.file}:${b.line}`;

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
    return heading.trim().toLowerCase()
        .replace(/`/g, "")
        .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-");
}

function anchorsOf(text: string): Set<string> {
    const anchors = new Set<string>();
    const counts = new Map<string, number>();
    let inFence = false;
    for (const line of text.split("\n")) {
        if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
        const h = !inFence && /^#{1,6}\s+(.*)$/.exec(line);
        if (!h) continue;
        const base = slug(h[1]);
        const n = counts.get(base) ?? 0;
        counts.set(base, n + 1);
        anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    return anchors;
}

/** The TypeScript source a ts block stands for, or undefined when it is only parsed. */
function tsSource(b: Block): string | undefined {
    if (b.marker === "fragment") return undefined;
    if (b.marker === "args") {
        return [
            `import type * as pulumi from "@pulumi/pulumi";`,
            `import type { RedisDeploymentArgs } from "redis-deployment";`,
            `declare const cfg: pulumi.Config;`,
            `export const args: RedisDeploymentArgs = {`,
            b.code,
            `};`,
        ].join("\n");
    }
    assert.equal(b.marker, undefined, `${where(b)}: unknown snippet marker "${b.marker}" for a ts block`);
    // Each snippet is a module of its own, so two snippets may both declare `redis`.
    return `${b.code}\nexport {};\n`;
}

describe("documentation", function () {
    this.timeout(60000);

    it("finds the README, the docs and their code blocks", () => {
        assert.ok(FILES.includes("README.md"));
        assert.ok(FILES.some((f) => f.startsWith("docs/")), "no docs/*.md found");
        assert.ok(BLOCKS.filter((b) => b.lang === "ts" || b.lang === "typescript").length >= 5, "expected TypeScript examples");
    });

    it("every code block has a language", () => {
        const bare = BLOCKS.filter((b) => b.lang === "");
        assert.deepEqual(bare.map(where), [], "fenced blocks without a language (use ```text for plain text)");
    });

    it("TypeScript examples compile against the package's source", () => {
        const tsBlocks = BLOCKS.filter((b) => b.lang === "ts" || b.lang === "typescript");
        const virtual = new Map<string, { block: Block; source: string; prefixLines: number }>();
        const parseOnly: Block[] = [];
        tsBlocks.forEach((b, i) => {
            const source = tsSource(b);
            if (source === undefined) return void parseOnly.push(b);
            const name = path.join(ROOT, ".doc-snippets", `${b.file.replace(/[/.]/g, "_")}_${b.line}_${i}.ts`);
            const prefixLines = b.marker === "args" ? 4 : 0;
            virtual.set(name, { block: b, source, prefixLines });
        });

        // Parse-only fragments: syntax errors still fail.
        for (const b of parseOnly) {
            const sf = ts.createSourceFile("fragment.ts", b.code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
            const diags = (sf as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics ?? [];
            assert.deepEqual(diags.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")), [], `${where(b)}: does not parse`);
        }

        const config = ts.readConfigFile(path.join(ROOT, "tsconfig.json"), ts.sys.readFile);
        const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
        const options: ts.CompilerOptions = {
            ...parsed.options,
            noEmit: true,
            declaration: false,
            sourceMap: false,
            noUnusedLocals: false,
            types: ["node", "mocha"],
            baseUrl: ROOT,
            paths: {
                "redis-deployment": ["components/index.ts"],
                "redis-deployment/cli": ["bin/cli/index.ts"],
                "redis-deployment/providers/*": ["providers/*/index.ts"],
            },
        };
        // The cloud SDKs' declarations (thousands of files) are replaced by an untyped stub: the
        // snippets are checked against this package's own types, and parsing the SDKs would
        // make this test slow. `npm run typecheck` checks the source against the real SDKs.
        const stub = path.join(ROOT, ".doc-snippets", "cloud-sdk-stub.d.ts");
        virtual.set(stub, { block: undefined as unknown as Block, source: "declare const sdk: any;\nexport = sdk;\n", prefixLines: 0 });
        const stubbed = /^(@pulumi\/(aws|gcp|azure-native|kubernetes)|@kubernetes\/client-node)(\/|$)/;
        const host = ts.createCompilerHost(options);
        host.resolveModuleNames = (names, containingFile) => names.map((name) => stubbed.test(name)
            ? { resolvedFileName: stub, extension: ts.Extension.Dts, isExternalLibraryImport: true }
            : ts.resolveModuleName(name, containingFile, options, host).resolvedModule);
        const { getSourceFile, fileExists, readFile } = host;
        host.fileExists = (f) => virtual.has(f) || fileExists.call(host, f);
        host.readFile = (f) => virtual.get(f)?.source ?? readFile.call(host, f);
        host.getSourceFile = (f, lang, onError, create) => {
            const v = virtual.get(f);
            return v ? ts.createSourceFile(f, v.source, lang, true) : getSourceFile.call(host, f, lang, onError, create);
        };
        const program = ts.createProgram([...virtual.keys()].filter((f) => f !== stub), options, host);
        const problems: string[] = [];
        for (const [name, v] of virtual) {
            if (name === stub) continue;
            const sf = program.getSourceFile(name)!;
            for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
                const { line } = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: 0 };
                const docLine = v.block.line + 1 + line - v.prefixLines;
                problems.push(`${v.block.file}:${docLine}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
            }
        }
        assert.deepEqual(problems, [], "documentation examples that do not compile");
    });

    it("shell examples are valid bash, and the ones marked `run` succeed", () => {
        const problems: string[] = [];
        for (const b of BLOCKS.filter((x) => x.lang === "sh" || x.lang === "bash")) {
            const syntax = spawnSync("bash", ["-n"], { input: b.code, encoding: "utf8" });
            if (syntax.status !== 0) problems.push(`${where(b)}: bash -n: ${syntax.stderr.trim()}`);
            if (b.marker === "run") {
                const run = spawnSync("bash", ["-euo", "pipefail", "-c", b.code], {
                    cwd: ROOT, encoding: "utf8", timeout: 20000,
                    env: { ...process.env, REDIS_DEPLOYMENT_HOME: path.join(ROOT, ".test-tmp", "docs-state") },
                });
                if (run.status !== 0) problems.push(`${where(b)}: exited ${run.status ?? run.signal}: ${(run.stderr || run.stdout).trim().slice(0, 400)}`);
            } else if (b.marker !== undefined) {
                problems.push(`${where(b)}: unknown snippet marker "${b.marker}" for a shell block`);
            }
        }
        assert.deepEqual(problems, []);
        assert.ok(BLOCKS.some((b) => b.marker === "run"), "no shell example is run");
    });

    it("JSON examples parse", () => {
        const problems: string[] = [];
        for (const b of BLOCKS.filter((x) => x.lang === "json")) {
            try {
                JSON.parse(b.code);
            } catch (err) {
                problems.push(`${where(b)}: ${(err as Error).message}`);
            }
        }
        assert.deepEqual(problems, []);
    });

    it("relative links point at files (and headings) that exist", () => {
        const problems: string[] = [];
        for (const file of FILES) {
            const text = TEXT.get(file)!.replace(/^(```|~~~)[\s\S]*?^\1\s*$/gm, "");
            for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
                const target = m[1];
                if (/^[a-z]+:/i.test(target)) continue;      // https:, mailto:
                const [rel, anchor] = target.split("#");
                const resolved = rel === "" ? path.join(ROOT, file) : path.resolve(ROOT, path.dirname(file), rel);
                if (!fs.existsSync(resolved)) {
                    problems.push(`${file}: link to ${target}: ${path.relative(ROOT, resolved)} does not exist`);
                    continue;
                }
                if (anchor && resolved.endsWith(".md") && !anchorsOf(fs.readFileSync(resolved, "utf8")).has(anchor)) {
                    problems.push(`${file}: link to ${target}: no heading #${anchor} in ${path.relative(ROOT, resolved)}`);
                }
            }
        }
        assert.deepEqual(problems, []);
    });
});
