// The /ws/events feed (build and proc changes of the repos the caller may read; agent changes for
// administrators), reconnecting with backoff.

export function socketUrl(path) {
  return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
}

// Call onMessage(message) for every event; call onOpen() each time the feed (re)connects, so a page can catch up.
export function followEvents(onMessage, onOpen) {
  let delay = 500;
  let refused = false;
  const connect = () => {
    const socket = new WebSocket(socketUrl("/ws/events"));
    socket.addEventListener("open", () => { delay = 500; onOpen && onOpen(); });
    socket.addEventListener("message", (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch (err) { return; }
      if (message.error) { refused = true; return; }
      onMessage(message);
    });
    socket.addEventListener("close", () => {
      if (refused) return;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    });
  };
  connect();
}
