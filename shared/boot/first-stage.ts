import type { Config } from "../config/index.ts";
import { IpxeScript, ipxeUrlProblem, ScriptToken, UnsafeScriptValueError } from "../ipxe/index.ts";
import { bootSettings } from "./settings.ts";

/**
 * `GET /boot.ipxe`: the same for every machine. It chains the per-node script, naming the booting
 * NIC by `${mac:hexhyp}` in the path (hex and hyphens survive any URL handling) and passing the
 * SMBIOS UUID, build architecture and platform as query values (hex, hyphens and short words,
 * which survive the 2019 iPXE's query re-encoding). If that fails, the console says so and the
 * machine takes the fail action rather than sitting in iPXE.
 */
export function buildFirstStageScript({
  config,
  baseUrl,
}: {
  config: Config;
  baseUrl: string;
}): string {
  const settings = bootSettings(config);
  const script = new IpxeScript();
  let chainUrl: ScriptToken;
  try {
    const problem = ipxeUrlProblem(`${baseUrl}/boot.ipxe`);
    if (problem !== undefined) throw new UnsafeScriptValueError("the base URL", problem);
    chainUrl = ScriptToken.join(
      [
        `${baseUrl}/boot/`,
        ScriptToken.expansion("mac:hexhyp"),
        ".ipxe?uuid=",
        ScriptToken.expansion("uuid"),
        "&arch=",
        ScriptToken.expansion("buildarch"),
        "&platform=",
        ScriptToken.expansion("platform"),
      ],
      "the boot script URL",
    );
  } catch (error) {
    if (!(error instanceof UnsafeScriptValueError)) throw error;
    script.echo(`swiftboot: cannot chain the per-machine boot script: ${error.message}`);
    return script.echo(settings.failMessage).line([settings.failAction]).toString();
  }
  return script
    .line(
      ["chain", "--autofree", "--replace", ...settings.timeoutOptions, chainUrl],
      ["goto", "fail"],
    )
    .label("fail")
    .echo(`swiftboot: could not fetch this machine's boot script from ${baseUrl}`)
    .echo(settings.failMessage)
    .line([settings.failAction])
    .toString();
}
