// CloudFormation custom resource (Lambda, nodejs22.x, inline): makes the RSA key pair of the
// CloudFront key group once, keeps the private key in the stack's secret as `front.private_key`
// (the functions read it from there like every secret option) and returns the public key (PEM)
// for the CloudFront PublicKey resource. Updates return the same key; a delete leaves the secret
// (retained with the stack) alone. The private key never leaves Secrets Manager and this function.
const { generateKeyPairSync, createPublicKey } = require("node:crypto");
const http = require("node:http");
const https = require("node:https");
const sm = require("@aws-sdk/client-secrets-manager");

const FIELD = "front.private_key";

exports.handler = async (event, context) => {
  let status = "SUCCESS";
  let reason = "";
  const data = {};
  try {
    if (event.RequestType !== "Delete") {
      const client = new sm.SecretsManagerClient({});
      const SecretId = event.ResourceProperties.SecretId;
      const read = await client.send(new sm.GetSecretValueCommand({ SecretId }));
      const doc = JSON.parse(read.SecretString);
      let pem = doc[FIELD];
      if (!pem) {
        const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
        pem = pair.privateKey.export({ type: "pkcs1", format: "pem" });
        doc[FIELD] = pem;
        await client.send(
          new sm.PutSecretValueCommand({ SecretId, SecretString: JSON.stringify(doc) }),
        );
      }
      data.PublicKey = createPublicKey(pem).export({ type: "spki", format: "pem" });
    }
  } catch (error) {
    status = "FAILED";
    reason = `${String(error?.message ?? error).slice(0, 300)} (log stream ${context.logStreamName})`;
  }
  const body = JSON.stringify({
    Status: status,
    Reason: reason,
    PhysicalResourceId: event.PhysicalResourceId || "swiftboot-front-key",
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: data,
  });
  const url = new URL(event.ResponseURL);
  await new Promise((resolve, reject) => {
    // CloudFormation's ResponseURL is https (a presigned S3 URL); http only in the tests.
    const put = (url.protocol === "http:" ? http : https).request(
      {
        hostname: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: "PUT",
        headers: { "content-type": "", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on("end", resolve);
      },
    );
    put.on("error", reject);
    put.end(body);
  });
};
