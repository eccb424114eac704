// One cold start of the bundled responder, as Lambda's init then first invoke: node boots, the
// bundle is imported, one ALB event is answered (reading account/jwk.json from S3). Plain JS so
// nothing but node itself runs before the import. Prints one JSON line.
const scriptStart = performance.now(); // ms since the process started (performance.timeOrigin)
const [bundle, token] = process.argv.slice(2);
const imported = await import(bundle);
const afterImport = performance.now();
const result = await imported.handler(
  {
    requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/bench/0' } },
    httpMethod: 'GET',
    path: `/.well-known/acme-challenge/${token}`,
    queryStringParameters: {},
    headers: { host: 'bench.example.com', 'user-agent': 'cold-init' },
    body: '',
    isBase64Encoded: false,
  },
  {},
);
const answered = performance.now();
process.stdout.write(`${JSON.stringify({ bootMs: scriptStart, importMs: afterImport - scriptStart, firstAnswerMs: answered - scriptStart, sinceProcessStartMs: answered, status: result.statusCode })}\n`);
