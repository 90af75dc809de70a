// Server-sent events read from a fetch() response, so requests can carry an Authorization header
// (EventSource cannot) and tokens never go in a URL.

/** Calls `onEvent(name, data)` for each event of the stream until it ends. */
export async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const parsed = parseEvent(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (parsed) onEvent(parsed.event, parsed.data);
    }
  }
}

/** One event block: `event:` and `data:` lines; comments (keep-alives) give nothing. */
function parseEvent(block) {
  let event = 'message';
  const data = [];
  for (const line of block.split('\n').map((text) => text.replace(/\r$/, ''))) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  return data.length > 0 ? { event, data: data.join('\n') } : undefined;
}

/** Waits `ms`, or less when `signal` aborts. */
export const sleep = (ms, signal) =>
  new Promise((done) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), done()), { once: true });
  });
