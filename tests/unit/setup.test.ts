// bin/setup must install every program the suites and the benchmarks start: a program that was
// installed by hand on one machine passes here and fails on a fresh one. This scans the sources
// for the programs they spawn and checks each against bin/setup's table (and that the table's
// package really provides the program).
import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");

interface ProgramRow {
    group: string;
    program: string;
    pkg: string;
}

function setupTable(): ProgramRow[] {
    const out = execFileSync("bash", [path.join(ROOT, "bin/setup"), "--list"], { encoding: "utf8" });
    return out.trim().split("\n").map((line) => {
        const [group, program, pkg] = line.trim().split(/\s+/);
        return { group, program, pkg };
    });
}

function sourceFiles(dir: string): string[] {
    return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
        const rel = path.join(dir, e.name);
        if (e.isDirectory()) return sourceFiles(rel);
        return /\.(ts|js)$/.test(e.name) ? [rel] : [];
    });
}

/** The forms the code base starts programs with; the program is capture group 1. */
const SPAWN_FORMS = [
    /\b(?:spawn|spawnSync|execFile|execFileSync)\(\s*"([\w.-]+)"/g,             // spawnSync("haproxy", ...)
    /\brun\(\s*"([\w.-]+)",\s*\[/g,                                            // run("redis-cli", [args])
    /(?:spawnTracked|\.start|\.spawn)\(\s*[^,()]+,\s*\[?\s*"([\w.-]+)"/g,       // runner.start(name, "redis-server"), lab.spawn(side, ["redis-server"
    /\bcommand:\s*\[\s*"([\w.-]+)"/g,                                          // command: ["redis-server", ...]
    /"(sh|bash)",\s*"-c"/g,                                                    // "sh", "-c", script
    /\["(unshare)"/g,                                                          // ["unshare", "--mount"]
    /"\/usr\/s?bin\/([\w.-]+)"/g,                                              // "/usr/sbin/sshd"
];

/** Programs started by the sources under `dirs`, with the first file that starts each. */
function spawnedPrograms(dirs: string[]): Map<string, string> {
    const found = new Map<string, string>();
    for (const file of dirs.flatMap(sourceFiles).filter((f) => f !== path.relative(ROOT, __filename))) {
        const text = fs.readFileSync(path.join(ROOT, file), "utf8");
        for (const form of SPAWN_FORMS) {
            for (const m of text.matchAll(form)) if (!found.has(m[1])) found.set(m[1], file);
        }
    }
    return found;
}

/** The Debian package that owns `program` (or a python3:<module> row's module) on this machine, or undefined. */
function owningPackage(program: string): string | undefined {
    if (program.startsWith("python3:")) {
        const r = spawnSync("/usr/bin/python3", ["-c", `import ${program.slice("python3:".length)} as m; print(m.__file__)`], { encoding: "utf8" });
        return r.status === 0 ? dpkgOwner([r.stdout.trim()]) : undefined;
    }
    const which = spawnSync("bash", ["-c", `command -v ${program} || { [ -x /usr/sbin/${program} ] && echo /usr/sbin/${program}; }`], { encoding: "utf8" }).stdout.trim();
    if (!which) return undefined;
    // Merged /usr: dpkg may know the file under /bin or /usr/bin, whichever the package ships.
    return dpkgOwner([which, fs.realpathSync(which), which.replace(/^\/usr\//, "/"), `/usr${which}`]);
}

/** The package dpkg says owns the first of `files` it knows. */
function dpkgOwner(files: string[]): string | undefined {
    for (const file of files) {
        const r = spawnSync("dpkg", ["-S", file], { encoding: "utf8" });
        // "pkg: /path" lines ("diversion by ..." lines name no package).
        const owner = r.status === 0 ? r.stdout.split("\n").find((l) => !l.startsWith("diversion") && l.includes(": ")) : undefined;
        if (owner) return owner.split(":")[0].split(",")[0].trim();
    }
    return undefined;
}

describe("bin/setup installs every program the suites start", () => {
    const table = setupTable();
    // `python3:<module>` rows cover the programs that run /usr/bin/python3 with that module.
    const listed = (groups: string[]) => new Set(table.filter((r) => groups.includes(r.group)).map((r) => r.program.replace(/^python3:.*/, "python3")));
    const NODE_TOOLS = new Set(["node", "npm", "npx", "mocha", "tsc"]);

    it("the scan finds the programs this suite is known to start (a scan that finds nothing can not fail)", () => {
        const found = spawnedPrograms(["tests"]);
        for (const p of ["redis-server", "haproxy", "shellcheck", "sshd", "ssh-keygen", "systemd-analyze", "unshare", "sh"]) {
            assert.ok(found.has(p), `the scan should see ${p}; it saw ${[...found.keys()].join(", ")}`);
        }
    });

    const suites: { title: string; dirs: string[]; groups: string[] }[] = [
        { title: "default suite (unit, integration, e2e) and the CLI", dirs: ["tests/unit", "tests/integration", "tests/e2e", "tests/helpers", "providers", "components", "bootstrap", "bin"], groups: ["test"] },
        { title: "reliability suite", dirs: ["tests/reliability"], groups: ["test", "reliability"] },
        { title: "benchmarks", dirs: ["bench"], groups: ["test", "bench"] },
    ];
    for (const suite of suites) {
        it(`${suite.title}: every program it starts is in bin/setup's table`, () => {
            const allowed = listed(suite.groups);
            const unlisted = [...spawnedPrograms(suite.dirs)].filter(([p]) => !allowed.has(p) && !NODE_TOOLS.has(p));
            assert.deepEqual(unlisted.map(([p, file]) => `${p} (started in ${file})`), [],
                "add these to the table in bin/setup (group, program, Debian package), or a fresh machine fails where this one passes");
        });
    }

    it("every program of the default group is installed, from the Debian package the table names", () => {
        const wrong = table.filter((r) => r.group === "test").flatMap((r) => {
            if (r.pkg === "none") {
                const present = spawnSync("bash", ["-c", `command -v ${r.program}`]).status === 0;
                return present ? [] : [`${r.program}: not installed (bin/setup should have stopped with a message)`];
            }
            const pkg = owningPackage(r.program);
            if (pkg === undefined) return [`${r.program}: not installed (bin/setup should have installed ${r.pkg})`];
            return pkg === r.pkg ? [] : [`${r.program}: comes from ${pkg}, the table says ${r.pkg}`];
        });
        assert.deepEqual(wrong, []);
    });
});
