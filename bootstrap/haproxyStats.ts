// HAProxy's `show stat` over its stats socket: the servers of every backend with their state.
// Serialized by value into the local processes' provider (docs/architecture.md): `net` is
// required inside.

/** One server row of `show stat`. */
export interface HaproxyServerRow {
    backend: string;
    server: string;
    /** "UP", "DOWN", "UP 1/2", "MAINT", "no check", ... */
    status: string;
    /** The last check's result ("L7OK", "L4CON", "INI" before the first check). */
    check: string;
}

/** The server rows of `show stat`'s CSV (frontends and backend totals left out). */
export function parseShowStat(text: string): HaproxyServerRow[] {
    const [header, ...rows] = text.trim().split("\n");
    if (!header?.startsWith("# ")) throw new Error(`not a "show stat" answer: ${JSON.stringify(text.slice(0, 80))}`);
    const columns = header.replace(/^# /, "").split(",");
    return rows.map((row) => Object.fromEntries(row.split(",").map((v, i) => [columns[i], v])))
        .filter((r) => r.pxname && r.svname !== "FRONTEND" && r.svname !== "BACKEND")
        .map((r) => ({ backend: r.pxname, server: r.svname, status: r.status, check: r.check_status }));
}

/** Reads `show stat` from a stats socket. */
export async function readShowStat(socketPath: string, timeoutMs = 2000): Promise<HaproxyServerRow[]> {
    const net = require("net") as typeof import("net");
    const text = await new Promise<string>((resolve, reject) => {
        let data = "";
        const socket = net.createConnection(socketPath, () => socket.write("show stat\n"));
        socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer on ${socketPath}`)));
        socket.on("data", (chunk) => { data += chunk.toString(); });
        socket.on("end", () => resolve(data));
        socket.on("error", reject);
    });
    return parseShowStat(text);
}
