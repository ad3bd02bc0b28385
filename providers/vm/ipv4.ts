// IPv4 arithmetic for address planning inside a subnet. Pure, no dependencies.

export interface Cidr {
    /** The network address as an unsigned 32-bit number. */
    base: number;
    prefixLength: number;
    /** Number of addresses in the block (2^(32 - prefixLength)). */
    size: number;
    text: string;
}

/** "10.0.1.17" -> 167772433; undefined when malformed. */
export function parseIpv4(text: string): number | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text.trim());
    if (!m) return undefined;
    const octets = m.slice(1).map(Number);
    if (octets.some((o) => o > 255)) return undefined;
    return ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
}

export function formatIpv4(n: number): string {
    return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join(".");
}

/** "10.0.1.0/24" -> its block; undefined when malformed or when host bits are set. */
export function parseCidr(text: string): Cidr | undefined {
    const m = /^([\d.]+)\/(\d{1,2})$/.exec(text.trim());
    if (!m) return undefined;
    const ip = parseIpv4(m[1]);
    const prefixLength = Number(m[2]);
    if (ip === undefined || prefixLength > 32) return undefined;
    const size = 2 ** (32 - prefixLength);
    if (ip % size !== 0) return undefined;
    return { base: ip, prefixLength, size, text: `${m[1]}/${prefixLength}` };
}

/** The address `offset` positions into the block ("10.0.1.0/24", 10 -> "10.0.1.10"). */
export function addressAt(cidr: Cidr, offset: number): string {
    if (!Number.isInteger(offset) || offset < 0 || offset >= cidr.size) {
        throw new RangeError(`offset ${offset} is outside ${cidr.text} (${cidr.size} addresses)`);
    }
    return formatIpv4(cidr.base + offset);
}

export function contains(cidr: Cidr, address: string): boolean {
    const ip = parseIpv4(address);
    return ip !== undefined && ip >= cidr.base && ip < cidr.base + cidr.size;
}
