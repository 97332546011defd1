// CloudFront Function (cloudfront-js-2.0), viewer request, on the behaviours that reach the
// swiftboot functions. With Origin Access Control the origin request carries the Function URL's
// own Host, so the viewer's host and address are handed on in headers of swiftboot's own
// (functions/aws/front/viewer.ts). Both are always overwritten here, so a value a viewer sends
// never arrives; and the host is only ever the distribution's own name or one of its aliases
// (ALIASES, filled in at synth), so a forged Host cannot make scripts name another server.
var ALIASES = __ALIASES__;

// biome-ignore lint/correctness/noUnusedVariables: CloudFront calls handler by name
function handler(event) {
  var request = event.request;
  var own = event.context.distributionDomainName;
  var sent = request.headers.host ? request.headers.host.value.toLowerCase() : "";
  var host = sent === own || ALIASES.indexOf(sent) >= 0 ? sent : own;
  request.headers["x-swiftboot-viewer-host"] = { value: host };
  request.headers["x-swiftboot-viewer-address"] = { value: event.viewer.ip };
  return request;
}
