// Helpers for the TLS tests.
import * as net from "net";

/** Plaintext to a TLS-only port: the reply to PING, or why there was none. */
export function plaintextPing(host: string, port: number): Promise<string> {
    return new Promise((resolve) => {
        const socket = net.connect({ host, port });
        let got = "";
        const done = (why: string) => { socket.destroy(); resolve(got || why); };
        const timer = setTimeout(() => done("no reply"), 3000);
        socket.on("connect", () => socket.write("PING\r\n"));
        socket.on("data", (d) => { got += d.toString(); });
        socket.on("error", (e) => { clearTimeout(timer); done(e.message); });
        socket.on("close", () => { clearTimeout(timer); done("closed"); });
    });
}
