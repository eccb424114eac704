// The peer of the responder's cold start under the Lambda runtime: the least a Node function can
// be (no import, no S3), answering an ALB event with a fixed body. What the runtime and the
// emulator cost before any code of ours runs, measured in the same run as ours.
export const handler = () => Promise.resolve({ statusCode: 200, statusDescription: '200 OK', headers: { 'content-type': 'text/plain' }, body: 'ok', isBase64Encoded: false });
