// The baseline: bare node:http doing the same work as the runtimes (read the body, parse the
// JSON, answer it as JSON). PORT selects the port.
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  let body;
  req.on('data', (chunk) => {
    // Small bodies arrive in one chunk: keep it, concatenate only when there are more.
    body = body === undefined ? chunk : Buffer.concat([body, chunk]);
  });
  req.on('end', () => {
    let data;
    try {
      data = JSON.parse(body === undefined ? '' : body.toString('utf8'));
    } catch {
      res.statusCode = 400;
      res.end();
      return;
    }
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(data));
  });
});
server.keepAliveTimeout = 5000;
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
