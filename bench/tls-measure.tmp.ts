import { tlsVsPlain } from "./rows";
tlsVsPlain(Number(process.env.R ?? 3), Number(process.env.N ?? 100000)).then((r) => { console.log(JSON.stringify(r)); process.exit(0); }, (e) => { console.error(e); process.exit(1); });
