// The browser scenario's probe (bench/browser.ts), run in each page before the app's own scripts. Plain
// JavaScript loaded as it is: code the bench passes as a function would be compiled by tsx first, which
// adds helpers the page does not have.
(() => {
  const editable = '.page[data-phase="ready"] .ql-editor[contenteditable="true"]';
  let recording = false;
  const probe = {
    /** performance.now() when the editor first became editable. */
    editableAt: undefined,
    /** Epoch milliseconds (high resolution) of each keydown. */
    keys: [],
    /** performance.now() of each animation frame while frames are recorded. */
    frames: [],
    /** Long animation frames (over 50 ms): [start, duration]. */
    longFrames: [],
    /** [epoch milliseconds, text] whenever the watched block's text changed. */
    seen: [],
    recordFrames(on) {
      recording = on;
      if (on) requestAnimationFrame(frame);
    },
    watch(blockIndex) {
      const root = document.querySelector('.ql-editor');
      const block = () => root.children[blockIndex];
      let last = block()?.textContent ?? '';
      // When the character is in this page's DOM: Quill has applied the remote change.
      new MutationObserver(() => {
        const text = block()?.textContent ?? '';
        if (text === last) return;
        last = text;
        probe.seen.push([performance.timeOrigin + performance.now(), text]);
      }).observe(root, { childList: true, subtree: true, characterData: true });
    },
  };
  function frame(now) {
    if (!recording) return;
    probe.frames.push(now);
    requestAnimationFrame(frame);
  }
  window.benchProbe = probe;
  const ready = new MutationObserver(() => {
    if (!document.querySelector(editable)) return;
    probe.editableAt = performance.now();
    ready.disconnect();
  });
  ready.observe(document, { childList: true, subtree: true, attributes: true });
  window.addEventListener('keydown', () => probe.keys.push(performance.timeOrigin + performance.now()), true);
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) probe.longFrames.push([entry.startTime, entry.duration]);
    }).observe({ type: 'long-animation-frame' });
  } catch {
    // No long-animation-frame entries in this browser: the frame intervals still tell.
  }
})();
