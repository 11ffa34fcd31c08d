// Uploads a file to an Amana server with the npm package tus-js-client, as
// any tus 1.0.0 client would, and prints what happened as one JSON line:
//
//	node tus-js-client.mjs upload URL FILE CHUNK   (token in AMANA_TOKEN)
//	node tus-js-client.mjs terminate UPLOAD_URL
//
// It is run by TestTusJSClient (tusjs_test.go).
import { readFileSync } from 'node:fs';
import tus from 'tus-js-client';

const [mode, url, file, chunk] = process.argv.slice(2);
const headers = { Authorization: 'Bearer ' + process.env.AMANA_TOKEN };

if (mode === 'terminate') {
  tus.Upload.terminate(url, { headers, retryDelays: [] })
    .then(() => console.log(JSON.stringify({ terminated: url })))
    .catch(err => { console.error(String(err)); process.exit(1); });
} else {
  const data = readFileSync(file);
  const resumed = [];
  const upload = new tus.Upload(data, {
    endpoint: url + '/v1/uploads',
    headers,
    chunkSize: Number(chunk),
    metadata: { filename: 'recording.age' },
    retryDelays: [0, 100, 200, 400, 800, 1600, 3200],
    onShouldRetry: (err, attempt, options) => {
      const status = err.originalResponse ? err.originalResponse.getStatus() : 0;
      resumed.push(status);
      return status === 0 || status >= 500 || status === 409 || status === 423;
    },
    onSuccess: () => console.log(JSON.stringify({ url: upload.url, retries: resumed.length, statuses: resumed })),
    onError: err => { console.error(String(err)); process.exit(1); },
  });
  upload.start();
}
