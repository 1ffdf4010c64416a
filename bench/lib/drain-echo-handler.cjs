// The drain soak's function: echo the JSON body, at once on `/` (connections flip between idle and
// busy, the moment a drain can reset a request already sent) and after a few milliseconds on
// `/slow` (a SIGTERM finds those in flight).
const SLOW_MS = 5;

module.exports = {
  echo: (event) =>
    event.extensions.request.url === '/slow'
      ? new Promise((resolve) => setTimeout(resolve, SLOW_MS, event.data))
      : event.data,
};
