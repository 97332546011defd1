import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ipRangeProblem, isValidIpRange } from "./ip-range.ts";

// Expected answers are those of Python 3.11's ipaddress.ip_network(value) (strict), which is
// what Swift's tempurl middleware applies; test/integration/tempurl-python.test.ts checks more.
const VALID = [
  "1.2.3.4",
  "1.2.3.0/24",
  "1.2.3.0/024",
  "1.2.3.4/32",
  "0.0.0.0/0",
  "127.0.0.1",
  "1.2.3.0/255.255.255.0",
  "1.2.3.0/0.0.0.255",
  "0.0.0.0/0.0.0.0",
  "1.2.3.4/255.255.255.255",
  "1.0.0.0/255.255.255.254",
  "::1",
  "::1/128",
  "::1/00128",
  "::/0",
  "::/128",
  "2001:db8::/32",
  "FE80::1",
  "0000::1",
  "fe80::1%eth0",
  "fe80::%eth0/64",
  "::1%a/128",
  "::ffff:1.2.3.4",
  "::ffff:1.2.3.0/120",
  "::1.2.3.4",
  "1:2:3:4:5:6:7:8",
  "1:2:3:4:5:6:7::",
  "::1:2:3:4:5:6:7",
];

const HOST_BITS = [
  "1.2.3.4/24",
  "1.2.3.4/0.0.0.0",
  "2001:db8::1/32",
  "fe80::1%eth0/64",
  "1:2::3:4/64",
];

const INVALID = [
  "",
  "1.2.3.0/+24",
  "1.2.3.0/ 24",
  "1.2.3.0/255.0.255.0",
  "01.2.3.4",
  "1.2.3.4/33",
  "1.2.3",
  "1.2.3.4.5",
  "256.1.1.1",
  "1.2.3.4/",
  "/24",
  "1.2.3.4/-0",
  "1.2.3.0 ",
  " 1.2.3.0",
  "1.2.3.0/2_4",
  "\u0661.2.3.4",
  "1.2.3.0/\u0662\u0664",
  "1.2.3.4%x",
  "1.2.3.0/255.255.255.00",
  "1.2.3.4/0255.255.255.255",
  "1.2.3.0/24/24",
  "1::2::3",
  "1:2:3:4:5:6:7:8:9",
  "1:2:3:4:5:6:7::8",
  "1:2:3:4:5:6::1.2.3.4",
  "1:2:3:4:5:6:7:1.2.3.4",
  ":1::",
  "1::/0x10",
  "1::/1_0",
  "1::/129",
  "2001:db8::/255.255.0.0",
  "00000::1",
  "fe80::1%",
  "fe80::1%a%b",
  "::ffff:01.2.3.4",
  "1::1.2.3",
  "12345::",
  "g::1",
];

describe("ipRangeProblem", () => {
  it.each(VALID)("accepts %s", (range) => {
    expect(ipRangeProblem(range)).toBeUndefined();
  });

  it.each(HOST_BITS)("rejects %s: host bits set", (range) => {
    expect(ipRangeProblem(range)).toMatch(/has host bits set/);
  });

  it.each(INVALID)("rejects %j", (range) => {
    expect(ipRangeProblem(range)).toMatch(/is not an IPv4 or IPv6 address or network/);
  });

  it("accepts an IPv4 network exactly when no host bit is set", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 0, max: 32 }),
        (ip, len) => {
          const dotted = [24, 16, 8, 0].map((s) => Math.floor(ip / 2 ** s) % 256).join(".");
          const hostBits = ip % 2 ** (32 - len);
          expect(isValidIpRange(`${dotted}/${len}`)).toBe(hostBits === 0);
        },
      ),
    );
  });

  it("accepts every IPv6 address in full and compressed form", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }),
        (h) => {
          const full = h.map((x) => x.toString(16)).join(":");
          expect(isValidIpRange(full)).toBe(true);
          expect(isValidIpRange(`${full}/128`)).toBe(true);
          const zeros = h.indexOf(0);
          if (zeros >= 0) {
            let end = zeros;
            while (end < 8 && h[end] === 0) end++;
            const head = h
              .slice(0, zeros)
              .map((x) => x.toString(16))
              .join(":");
            const tail = h
              .slice(end)
              .map((x) => x.toString(16))
              .join(":");
            expect(isValidIpRange(`${head}::${tail}`)).toBe(true);
          }
        },
      ),
    );
  });
});
