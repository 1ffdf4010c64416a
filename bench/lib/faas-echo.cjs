// The same echo for faas-js-runtime, whose handlers receive (context, body).
module.exports = { handle: (_context, body) => body };
