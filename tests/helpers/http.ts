// One plain HTTP GET for the tests (exporters' /metrics, HAProxy's stats page, Prometheus' API).
import * as http from "http";

/** GET `url`: status and body; rejects when nothing answers within `timeoutMs`. */
export function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = http.get(url, { timeout: timeoutMs }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (c: string) => { body += c; });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
        req.on("timeout", () => req.destroy(new Error(`no answer from ${url}`)));
    });
}
