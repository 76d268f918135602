// The flags Debian's Chromium runs with here, for the tests and the benches
// alike: without the background-networking ones it keeps reaching for the
// closed network.
module.exports = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
